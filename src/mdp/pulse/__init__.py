"""Pulse: the event bus (in-memory and Redis Streams), its envelope, and the fail-open telemetry publisher.

Start at :mod:`mdp.pulse.base` (the ``EventBus`` port and its delivery semantics) and ``docs/pulse.md``
(wire format, streams, DLQ, settings, metrics). The Redis adapter is imported lazily
(``from mdp.pulse.redis import RedisBus``) because ``redis`` is an optional extra.
"""

from mdp.pulse.base import (
    BatchOutcome,
    Delivery,
    EventBus,
    Handler,
    MalformedPolicy,
    StreamEntry,
    Subscription,
)
from mdp.pulse.config import PulseConfig
from mdp.pulse.deadletter import DEAD_LETTER_TYPE, DeadLetter
from mdp.pulse.envelope import MAX_ENVELOPE_BYTES, Envelope, SchemaRef, new_envelope_id
from mdp.pulse.errors import (
    BusClosed,
    BusUnavailable,
    EnvelopeError,
    GroupNotFound,
    InvalidEntryId,
    MissingDependency,
    PulseError,
)
from mdp.pulse.factory import create_bus
from mdp.pulse.memory import InMemoryBroker, InMemoryBus, shared_broker
from mdp.pulse.metrics import PulseMetrics, pulse_metrics
from mdp.pulse.settings import PulseSettings
from mdp.pulse.streams import dlq_stream
from mdp.pulse.telemetry import TelemetryPublisher

__all__ = [
    "DEAD_LETTER_TYPE",
    "MAX_ENVELOPE_BYTES",
    "BatchOutcome",
    "BusClosed",
    "BusUnavailable",
    "DeadLetter",
    "Delivery",
    "Envelope",
    "EnvelopeError",
    "EventBus",
    "GroupNotFound",
    "Handler",
    "InMemoryBroker",
    "InMemoryBus",
    "InvalidEntryId",
    "MalformedPolicy",
    "MissingDependency",
    "PulseConfig",
    "PulseError",
    "PulseMetrics",
    "PulseSettings",
    "SchemaRef",
    "StreamEntry",
    "Subscription",
    "TelemetryPublisher",
    "create_bus",
    "dlq_stream",
    "new_envelope_id",
    "pulse_metrics",
    "shared_broker",
]
