"""The one place that names Pulse streams and consumer groups.

Every service imports its names from here, so a typo is an ImportError rather than a silent empty stream.
Stream names double as event types for telemetry (``telemetry.schema_drift`` is both).
"""

from __future__ import annotations

from typing import Final

DLQ_SUFFIX: Final = ".dlq"

# Market data: producers write raw bars, the pipeline validates them into md.bars (or the DLQ).
BARS_RAW: Final = "md.bars.raw"
BARS: Final = "md.bars"

# Telemetry (fail-open publishers, see mdp.pulse.telemetry).
FEEDBACK: Final = "telemetry.feedback"
SCHEMA_DRIFT: Final = "telemetry.schema_drift"
SCHEMA_DRIFT_RESOLVED: Final = "telemetry.schema_drift_resolved"
VALIDATION: Final = "telemetry.validation"

# Registry change events (relayed from the registry outbox).
SCHEMA_PUBLISHED: Final = "schema.published"
SCHEMA_DEPRECATED: Final = "schema.deprecated"

# Sequence key of the registry outbox relay (EventBus.publish_sequenced): the last outbox id published.
RELAY_SEQUENCE_KEY: Final = "pulse-seq:registry-outbox"

# Consumer groups.
GROUP_PIPELINE: Final = "pipeline"
GROUP_STORE: Final = "store"
GROUP_ORCHESTRATOR: Final = "orchestrator"
GROUP_DRIFT_WATCHER: Final = "drift-watcher"


def dlq_stream(stream: str) -> str:
    """Name of the dead-letter stream of ``stream`` (``md.bars`` -> ``md.bars.dlq``)."""
    return stream + DLQ_SUFFIX


BARS_DLQ: Final = dlq_stream(BARS)
DATA_STREAM_PREFIX: Final = "md."


def is_data_stream(stream: str) -> bool:
    """Whether entries of ``stream`` must never be trimmed by length: market data and dead letters.

    XADD's approximate MAXLEN would delete bars a lagging consumer has not read yet; these streams are
    trimmed only by :meth:`mdp.pulse.base.EventBus.trim_consumed` (what every group has consumed).
    """
    return stream.startswith(DATA_STREAM_PREFIX) or stream.endswith(DLQ_SUFFIX)


TELEMETRY_STREAMS: Final = (FEEDBACK, SCHEMA_DRIFT, SCHEMA_DRIFT_RESOLVED, VALIDATION)
SCHEMA_STREAMS: Final = (SCHEMA_PUBLISHED, SCHEMA_DEPRECATED)

__all__ = [
    "BARS",
    "BARS_DLQ",
    "BARS_RAW",
    "DATA_STREAM_PREFIX",
    "DLQ_SUFFIX",
    "FEEDBACK",
    "GROUP_DRIFT_WATCHER",
    "GROUP_ORCHESTRATOR",
    "GROUP_PIPELINE",
    "GROUP_STORE",
    "RELAY_SEQUENCE_KEY",
    "SCHEMA_DEPRECATED",
    "SCHEMA_DRIFT",
    "SCHEMA_DRIFT_RESOLVED",
    "SCHEMA_PUBLISHED",
    "SCHEMA_STREAMS",
    "TELEMETRY_STREAMS",
    "VALIDATION",
    "dlq_stream",
    "is_data_stream",
]
