"""The event bus port: the ``EventBus`` Protocol, what it delivers, and what handlers return.

Semantics every adapter implements identically (the shared suite ``tests/suites/event_bus.py`` pins them):

* Streams are append-only logs of envelopes with monotonic entry ids ``"<ms>-<seq>"`` (Redis ids).
* A consumer group sees every entry once; consumers of one group split the entries between them.
* Delivery is at-least-once. A delivered entry stays *pending* until acked. An entry pending longer than
  ``claim_idle_ms`` is reclaimed by the next ``read`` of any consumer of the group and redelivered with its
  delivery count incremented. ``fail`` records the last error and leaves the entry pending.
* An entry is delivered at most ``max_deliveries`` times: when another delivery would exceed that, it is
  moved to ``<stream>.dlq`` (see :mod:`mdp.pulse.deadletter`) and acked on the source.
* A malformed entry is never raised: it arrives as a :class:`Delivery` with ``envelope=None`` and ``error``.
* The data path raises (:class:`~mdp.pulse.errors.BusUnavailable`, ...); only
  :class:`~mdp.pulse.telemetry.TelemetryPublisher` is fail-open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Protocol, Self

from mdp.pulse.envelope import Envelope, SchemaRef, new_envelope_id

MalformedPolicy = Literal["dead_letter", "deliver"]


# Not frozen: a frozen dataclass costs ~1.5 us more to build, and a consumer builds one per message.
# Treat entries and deliveries as read-only.
@dataclass(slots=True)
class StreamEntry:
    """One stream entry as stored: the decoded envelope, or ``None`` and the decode ``error``."""

    stream: str
    message_id: str
    envelope: Envelope | None
    raw: bytes
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the entry decoded to a valid envelope."""
        return self.envelope is not None


@dataclass(slots=True)
class Delivery(StreamEntry):
    """An entry handed to a consumer of ``group``; ``delivery_count`` is 1 on the first delivery.

    ``last_error`` is the error recorded by ``fail`` on an earlier delivery (set on redeliveries).
    """

    group: str = ""
    delivery_count: int = 1
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What a subscription handler may return: entries to fail individually (message id -> error).

    Every other entry of the batch is acked. Returning ``None`` acks the whole batch; raising fails it.
    """

    failed: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[list[Delivery]], Awaitable[BatchOutcome | None]]


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """A consumer group of a stream: how far it has read and what it still owes.

    ``last_delivered_id`` is the newest entry handed to any consumer of the group; ``pending`` counts the
    delivered entries not acked yet (``oldest_pending_id`` is the smallest of them, ``None`` when none);
    ``lag`` is the number of entries not delivered yet (``None`` when the backend cannot tell, e.g. after
    deletions in the middle of the stream on Redis).
    """

    name: str
    pending: int
    last_delivered_id: str
    oldest_pending_id: str | None
    lag: int | None

    @property
    def backlog(self) -> int | None:
        """Entries the group has not finished: not yet delivered plus delivered but not acked."""
        return None if self.lag is None else self.lag + self.pending


class Subscription(Protocol):
    """A running consumer loop started by :meth:`EventBus.subscribe`."""

    @property
    def done(self) -> bool:
        """Whether the loop has ended (stopped, or its bus closed)."""
        ...

    @property
    def processed(self) -> int:
        """Entries acked by this loop so far."""
        ...

    @property
    def failed(self) -> int:
        """Entries failed (handler error or ``BatchOutcome.failed``) by this loop so far."""
        ...

    @property
    def dead_lettered(self) -> int:
        """Malformed entries this loop moved to the DLQ (``malformed="dead_letter"``)."""
        ...

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Stop reading; a batch being handled is finished (and acked) first, up to ``timeout_s``."""
        ...


class EventBus(Protocol):
    """Streams of envelopes with consumer groups, redelivery and dead letters."""

    @property
    def backend(self) -> str:
        """``"inmem"`` or ``"redis"``."""
        ...

    async def start(self) -> None:
        """Connect (idempotent). Redis: verifies the server answers, else ``BusUnavailable``."""
        ...

    async def close(self) -> None:
        """Stop every subscription and release connections (idempotent)."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def publish(self, stream: str, envelope: Envelope) -> str:
        """Append one envelope; returns its entry id."""
        ...

    async def publish_many(self, stream: str, envelopes: Sequence[Envelope]) -> list[str]:
        """Append envelopes in order (one round trip on Redis); returns their entry ids."""
        ...

    async def publish_raw(self, stream: str, raws: Sequence[bytes]) -> list[str]:
        """Append already-encoded envelopes unchanged (a relay forwarding ``delivery.raw``); returns ids.

        The caller vouches that each item is an envelope (a consumer may still receive it as malformed).
        """
        ...

    async def publish_sequenced(
        self, stream: str, envelope: Envelope, *, sequence_key: str, sequence: int
    ) -> str | None:
        """Append ``envelope`` only if ``sequence`` is greater than the one stored under ``sequence_key``.

        The check, the append and storing ``sequence`` are one atomic step (Redis: a Lua script), so a
        producer that numbers its events (an outbox relay) publishes each exactly once, across restarts
        and concurrent replicas. Returns the entry id, or ``None`` when it was already published.
        """
        ...

    async def get_sequence(self, sequence_key: str) -> int:
        """The last sequence stored by :meth:`publish_sequenced` under ``sequence_key`` (0 if none)."""
        ...

    async def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        """Create the group (and the stream) unless it exists. ``start``: ``"0"`` all, ``"$"`` only new."""
        ...

    async def read(
        self, stream: str, group: str, consumer: str, *, count: int = 100, block_ms: int | None = None
    ) -> list[Delivery]:
        """Reclaimed entries first, then new ones, at most ``count``; waits up to ``block_ms`` for one."""
        ...

    async def ack(self, stream: str, group: str, ids: Iterable[str]) -> int:
        """Acknowledge entries (removes them from pending); returns how many were pending."""
        ...

    async def fail(self, stream: str, group: str, delivery: Delivery, error: str) -> None:
        """Record ``error`` as the entry's last error; it stays pending and is redelivered after idling."""
        ...

    async def fail_many(self, stream: str, group: str, failures: Sequence[tuple[Delivery, str]]) -> None:
        """:meth:`fail` for several entries in one round trip."""
        ...

    async def dead_letter(self, stream: str, group: str, delivery: Delivery, error: str) -> str:
        """Move an entry to ``<stream>.dlq`` now (e.g. it is malformed) and ack it; returns the DLQ id."""
        ...

    async def pending_count(self, stream: str, group: str) -> int:
        """Entries delivered to the group and not acked yet."""
        ...

    async def stream_length(self, stream: str) -> int:
        """Entries currently in the stream (0 if it does not exist)."""
        ...

    async def read_range(
        self, stream: str, start: str = "-", end: str = "+", count: int = 100
    ) -> list[StreamEntry]:
        """Entries between two ids (inclusive; ``-``/``+`` are the ends), without any group."""
        ...

    async def delete(self, stream: str, ids: Iterable[str]) -> int:
        """Delete entries (DLQ replay/purge); returns how many existed."""
        ...

    async def read_after(
        self, stream: str, after: str, *, count: int = 100, block_ms: int | None = None
    ) -> list[StreamEntry]:
        """Entries newer than ``after`` (an entry id), outside any group, waiting up to ``block_ms``.

        A tail reader (every instance sees every entry, e.g. feedback events) starts from
        :meth:`last_id` and passes the id of the last entry it got.
        """
        ...

    async def last_id(self, stream: str) -> str:
        """Id of the newest entry in the stream, ``"0-0"`` when it is empty or missing."""
        ...

    async def group_info(self, stream: str) -> list[GroupInfo]:
        """The consumer groups of the stream (empty when it has none or does not exist)."""
        ...

    async def trim_consumed(self, stream: str) -> int:
        """Delete the entries every group of the stream has consumed and acked; returns how many.

        Entries below the smallest, over all groups, of the oldest pending id (or the entry after the
        last delivered one when nothing is pending) go. A stream without groups is left alone. Data
        streams (``md.*``, ``*.dlq``) are never trimmed on publish; their consumers call this instead.
        """
        ...

    async def subscribe(
        self,
        stream: str,
        group: str,
        consumer: str,
        handler: Handler,
        *,
        batch_size: int = 100,
        block_ms: int = 1000,
        start: str = "0",
        malformed: MalformedPolicy = "dead_letter",
    ) -> Subscription:
        """Ensure the group, then run ``handler`` on batches in a task until stopped or the bus closes.

        The batch is acked when the handler returns (minus ``BatchOutcome.failed``, which are failed);
        when it raises, every entry is failed. Malformed entries are dead-lettered without reaching the
        handler unless ``malformed="deliver"``.
        """
        ...


__all__ = [
    "BatchOutcome",
    "Delivery",
    "Envelope",
    "EventBus",
    "GroupInfo",
    "Handler",
    "MalformedPolicy",
    "SchemaRef",
    "StreamEntry",
    "Subscription",
    "new_envelope_id",
]
