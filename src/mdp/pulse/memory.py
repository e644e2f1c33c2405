"""The in-memory event bus: Redis Streams semantics inside one process (the embedded default).

Streams are append-only lists with Redis-style ids ``"<ms>-<seq>"``; a consumer group keeps its
last-delivered id and a pending entries list (consumer, delivery count, last delivery time, last error);
reads block on per-reader events woken by publishes; idle entries are reclaimed and dead-lettered exactly as
:mod:`mdp.pulse.redis` does. Entries are stored as the envelope's JSON bytes, so every consumer decodes its
own copy and malformed entries (injected with :meth:`InMemoryBus.inject_raw`) behave as they do on Redis.

The storage lives in an :class:`InMemoryBroker`; each :class:`InMemoryBus` is a handle on one (with its own
subscriptions and close()). ``create_bus`` hands every service of the process the same
:func:`shared_broker`, so in-process services talk to each other as they would through Redis.
"""

from __future__ import annotations

import asyncio
import re
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry

from mdp.pulse.base import Delivery, Envelope, GroupInfo, StreamEntry
from mdp.pulse.deadletter import DeadLetter, clip_error
from mdp.pulse.envelope import decode_envelope
from mdp.pulse.errors import BusClosed, GroupNotFound, InvalidEntryId
from mdp.pulse.metrics import PulseMetrics, pulse_metrics
from mdp.pulse.streams import dlq_stream, is_data_stream
from mdp.pulse.subscription import SubscribingBus, SubscriptionSet

EntryKey = tuple[int, int]
_MAX_PART = 2**64 - 1
_ID = re.compile(r"^([0-9]{1,20})(?:-([0-9]{1,20}))?$")
_TRIM_SLACK = 100  # like Redis' stream-node-max-entries: trimming is approximate, in whole chunks


def parse_entry_id(text: str, *, end: bool = False) -> EntryKey:
    """``"<ms>-<seq>"`` (or ``"<ms>"``, ``"-"``, ``"+"``) as a sortable key; ``end`` fills a missing seq."""
    if text == "-":
        return (0, 0)
    if text == "+":
        return (_MAX_PART, _MAX_PART)
    match = _ID.match(text)
    if match is None:
        raise InvalidEntryId(f"invalid stream entry id {text!r}")
    ms, seq = int(match.group(1)), match.group(2)
    key = (ms, int(seq) if seq is not None else (_MAX_PART if end else 0))
    if key[0] > _MAX_PART or key[1] > _MAX_PART:
        raise InvalidEntryId(f"invalid stream entry id {text!r}")
    return key


class _Pending:
    __slots__ = ("consumer", "count", "delivered_at", "error", "key")

    def __init__(self, key: EntryKey, consumer: str, delivered_at: float) -> None:
        self.key = key
        self.consumer = consumer
        self.count = 1
        self.delivered_at = delivered_at
        self.error: str | None = None


class _Group:
    __slots__ = ("last_delivered", "next_reclaim_at", "pending")

    def __init__(self, last_delivered: EntryKey) -> None:
        self.last_delivered = last_delivered
        self.pending: dict[str, _Pending] = {}  # insertion order is id order, as in Redis' PEL
        self.next_reclaim_at = 0.0


class _Stream:
    __slots__ = ("groups", "ids", "keys", "last", "raws", "waiters")

    def __init__(self) -> None:
        self.keys: list[EntryKey] = []
        self.ids: list[str] = []
        self.raws: list[bytes] = []
        self.last: EntryKey = (0, 0)
        self.groups: dict[str, _Group] = {}
        self.waiters: set[asyncio.Event] = set()

    def append(self, raw: bytes, now_ms: int) -> str:
        ms, seq = self.last
        key = (now_ms, 0) if now_ms > ms else (ms, seq + 1)
        self.last = key
        entry_id = f"{key[0]}-{key[1]}"
        self.keys.append(key)
        self.ids.append(entry_id)
        self.raws.append(raw)
        return entry_id

    def trim(self, maxlen: int) -> None:
        excess = len(self.keys) - maxlen
        if maxlen > 0 and excess >= _TRIM_SLACK:
            del self.keys[:excess], self.ids[:excess], self.raws[:excess]

    def index(self, key: EntryKey) -> int | None:
        at = bisect_left(self.keys, key)
        return at if at < len(self.keys) and self.keys[at] == key else None

    def wake(self) -> None:
        for waiter in self.waiters:
            waiter.set()


class InMemoryBroker:
    """The streams of one process; share it between buses to connect in-process services."""

    def __init__(self) -> None:
        self.streams: dict[str, _Stream] = {}
        self.sequences: dict[str, int] = {}

    def stream(self, key: str) -> _Stream:
        found = self.streams.get(key)
        if found is None:
            found = self.streams[key] = _Stream()
        return found


_shared: InMemoryBroker | None = None


def shared_broker() -> InMemoryBroker:
    """The process-wide broker used by ``create_bus`` for ``EVENT_BUS_BACKEND=inmem``."""
    global _shared
    if _shared is None:
        _shared = InMemoryBroker()
    return _shared


class InMemoryBus(SubscribingBus):
    """:class:`~mdp.pulse.base.EventBus` over an :class:`InMemoryBroker`."""

    backend = "inmem"

    def __init__(
        self,
        *,
        broker: InMemoryBroker | None = None,
        prefix: str = "",
        max_deliveries: int = 5,
        claim_idle_ms: int = 30_000,
        maxlen: int = 1_000_000,
        source: str = "pulse",
        metrics_registry: CollectorRegistry | None = None,
        retry_base_ms: int = 100,
        retry_max_ms: int = 5_000,
    ) -> None:
        if max_deliveries < 1 or claim_idle_ms < 1 or maxlen < 0:
            raise ValueError("max_deliveries and claim_idle_ms must be >= 1, maxlen >= 0")
        self._broker = broker if broker is not None else InMemoryBroker()
        self._prefix = prefix
        self._max_deliveries = max_deliveries
        self._claim_idle_s = claim_idle_ms / 1000
        self._reclaim_every_s = min(max(claim_idle_ms / 2, 5), 5_000) / 1000
        self._maxlen = maxlen
        self._source = source
        self._metrics: PulseMetrics | None = pulse_metrics(metrics_registry) if metrics_registry else None
        self._retry_base_s, self._retry_max_s = retry_base_ms / 1000, retry_max_ms / 1000
        self._subscriptions = SubscriptionSet()
        self._waiting: set[asyncio.Event] = set()
        self._closed = False

    # lifecycle ---------------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._check_open()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for waiter in self._waiting:
            waiter.set()
        await self._subscriptions.stop_all()

    def _check_open(self) -> None:
        if self._closed:
            raise BusClosed("the in-memory bus is closed")

    # producing ---------------------------------------------------------------------------------------------
    async def publish(self, stream: str, envelope: Envelope) -> str:
        return (await self.publish_many(stream, (envelope,)))[0]

    async def publish_many(self, stream: str, envelopes: Sequence[Envelope]) -> list[str]:
        self._check_open()
        encoded = [envelope.to_json() for envelope in envelopes]  # encode all first: all or nothing
        return self._append(stream, encoded)

    def inject_raw(self, stream: str, raw: bytes) -> str:
        """Test hook: append bytes that need not be a valid envelope (Redis tests use a raw XADD)."""
        self._check_open()
        return self._append(stream, [raw])[0]

    async def publish_raw(self, stream: str, raws: Sequence[bytes]) -> list[str]:
        self._check_open()
        return self._append(stream, [bytes(raw) for raw in raws])

    async def publish_sequenced(
        self, stream: str, envelope: Envelope, *, sequence_key: str, sequence: int
    ) -> str | None:
        self._check_open()
        data = envelope.to_json()
        key = self._prefix + sequence_key
        if sequence <= self._broker.sequences.get(key, 0):  # no await in between: atomic on the loop
            return None
        entry_id = self._append(stream, [data])[0]
        self._broker.sequences[key] = sequence
        return entry_id

    async def get_sequence(self, sequence_key: str) -> int:
        self._check_open()
        return self._broker.sequences.get(self._prefix + sequence_key, 0)

    def _append(self, stream: str, raws: list[bytes], *, trim: bool = True) -> list[str]:
        target = self._broker.stream(self._prefix + stream)
        now_ms = time.time_ns() // 1_000_000
        ids = [target.append(raw, now_ms) for raw in raws]
        if trim and not is_data_stream(stream):
            target.trim(self._maxlen)
        if ids:
            target.wake()
            if self._metrics:
                self._metrics.published.labels(stream).inc(len(ids))
        return ids

    # groups and consuming ----------------------------------------------------------------------------------
    async def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        self._check_open()
        target = self._broker.stream(self._prefix + stream)
        if group not in target.groups:
            target.groups[group] = _Group(target.last if start == "$" else parse_entry_id(start))

    def _group(self, stream: str, group: str) -> tuple[_Stream, _Group]:
        target = self._broker.streams.get(self._prefix + stream)
        found = target.groups.get(group) if target is not None else None
        if target is None or found is None:
            raise GroupNotFound(f"no consumer group {group!r} on stream {stream!r}")
        return target, found

    async def read(
        self, stream: str, group: str, consumer: str, *, count: int = 100, block_ms: int | None = None
    ) -> list[Delivery]:
        if count < 1:
            raise ValueError("count must be at least 1")
        self._check_open()
        deadline = time.monotonic() + block_ms / 1000 if block_ms else None
        while True:
            target, state = self._group(stream, group)
            now = time.monotonic()
            out: list[Delivery] = []
            if now >= state.next_reclaim_at:
                state.next_reclaim_at = now + self._reclaim_every_s
                out = self._reclaim(stream, target, state, group, consumer, count, now)
            if len(out) < count:
                out.extend(self._take_new(stream, target, state, group, consumer, count - len(out), now))
            if out or deadline is None or now >= deadline:
                if out and self._metrics:
                    self._metrics.consumed.labels(stream, group).inc(len(out))
                return out
            await self._wait(target, min(deadline - now, self._reclaim_every_s))
            self._check_open()

    async def _wait(self, target: _Stream, timeout_s: float) -> None:
        waiter = asyncio.Event()
        target.waiters.add(waiter)
        self._waiting.add(waiter)
        try:
            await asyncio.wait_for(waiter.wait(), timeout_s)
        except TimeoutError:
            pass
        finally:
            target.waiters.discard(waiter)
            self._waiting.discard(waiter)

    def _take_new(
        self, stream: str, target: _Stream, state: _Group, group: str, consumer: str, count: int, now: float
    ) -> list[Delivery]:
        start = bisect_right(target.keys, state.last_delivered)
        stop = min(start + count, len(target.keys))
        out = []
        for index in range(start, stop):
            key, entry_id, raw = target.keys[index], target.ids[index], target.raws[index]
            state.pending[entry_id] = _Pending(key, consumer, now)
            out.append(self._delivery(stream, group, entry_id, raw, 1, None))
        if stop > start:
            state.last_delivered = target.keys[stop - 1]
        return out

    def _delivery(
        self, stream: str, group: str, entry_id: str, raw: bytes, count: int, last_error: str | None
    ) -> Delivery:
        envelope, error = decode_envelope(raw)
        if error is not None and self._metrics:
            self._metrics.malformed.labels(stream).inc()
        return Delivery(stream, entry_id, envelope, raw, error, group, count, last_error)

    def _reclaim(
        self, stream: str, target: _Stream, state: _Group, group: str, consumer: str, count: int, now: float
    ) -> list[Delivery]:
        out: list[Delivery] = []
        idle_before = now - self._claim_idle_s
        for entry_id, pending in list(state.pending.items()):
            if len(out) >= count:
                break
            if pending.delivered_at > idle_before:
                continue
            index = target.index(pending.key)
            if index is None:  # trimmed or deleted since delivery: Redis drops it from the PEL too
                del state.pending[entry_id]
                continue
            raw = target.raws[index]
            if pending.count >= self._max_deliveries:
                self._move_to_dlq(stream, group, entry_id, raw, pending)
                continue
            pending.consumer, pending.count, pending.delivered_at = consumer, pending.count + 1, now
            out.append(self._delivery(stream, group, entry_id, raw, pending.count, pending.error))
        if out and self._metrics:
            self._metrics.redelivered.labels(stream, group).inc(len(out))
        return out

    def _move_to_dlq(self, stream: str, group: str, entry_id: str, raw: bytes, pending: _Pending) -> str:
        letter = DeadLetter.of(
            stream=stream,
            entry_id=entry_id,
            group=group,
            delivery_count=pending.count,
            error=pending.error or "exceeded max deliveries without an ack",
            raw=raw,
            now=time.time(),
        )
        # The DLQ is never trimmed: dead letters are what operators must see.
        dlq_id = self._append(
            dlq_stream(stream), [letter.to_envelope(source=self._source).to_json()], trim=False
        )
        target = self._broker.streams.get(self._prefix + stream)
        state = target.groups.get(group) if target is not None else None
        if state is not None:
            state.pending.pop(entry_id, None)
        if self._metrics:
            self._metrics.dead_lettered.labels(stream, group).inc()
        return dlq_id[0]

    async def ack(self, stream: str, group: str, ids: Iterable[str]) -> int:
        self._check_open()
        target = self._broker.streams.get(self._prefix + stream)
        state = target.groups.get(group) if target is not None else None
        wanted = list(ids)
        for entry_id in wanted:
            parse_entry_id(entry_id)
        if state is None:  # as XACK: an unknown group or stream acks nothing
            return 0
        acked = sum(1 for entry_id in wanted if state.pending.pop(entry_id, None) is not None)
        if acked and self._metrics:
            self._metrics.acked.labels(stream, group).inc(acked)
        return acked

    async def fail(self, stream: str, group: str, delivery: Delivery, error: str) -> None:
        await self.fail_many(stream, group, [(delivery, error)])

    async def fail_many(self, stream: str, group: str, failures: Sequence[tuple[Delivery, str]]) -> None:
        self._check_open()
        target = self._broker.streams.get(self._prefix + stream)
        state = target.groups.get(group) if target is not None else None
        for delivery, error in failures:
            pending = state.pending.get(delivery.message_id) if state is not None else None
            if pending is not None:  # as on Redis, an error for an entry no longer pending is harmless
                pending.error = clip_error(error)
        if failures and self._metrics:
            self._metrics.failed.labels(stream, group).inc(len(failures))

    async def dead_letter(self, stream: str, group: str, delivery: Delivery, error: str) -> str:
        self._check_open()
        target = self._broker.streams.get(self._prefix + stream)
        state = target.groups.get(group) if target is not None else None
        pending = (state.pending.get(delivery.message_id) if state is not None else None) or _Pending(
            (0, 0), "", 0.0
        )
        pending.count = max(pending.count, delivery.delivery_count)
        pending.error = error
        return self._move_to_dlq(stream, group, delivery.message_id, delivery.raw, pending)

    # inspection and DLQ tools ------------------------------------------------------------------------------
    async def pending_count(self, stream: str, group: str) -> int:
        self._check_open()
        return len(self._group(stream, group)[1].pending)

    async def stream_length(self, stream: str) -> int:
        self._check_open()
        target = self._broker.streams.get(self._prefix + stream)
        return len(target.keys) if target is not None else 0

    async def read_range(
        self, stream: str, start: str = "-", end: str = "+", count: int = 100
    ) -> list[StreamEntry]:
        self._check_open()
        low, high = _range_bound(start, end=False), _range_bound(end, end=True)
        target = self._broker.streams.get(self._prefix + stream)
        if target is None or count < 1:
            return []
        first = bisect_left(target.keys, low)
        last = bisect_right(target.keys, high)
        out = []
        for index in range(first, min(last, first + count)):
            raw = target.raws[index]
            envelope, error = decode_envelope(raw)
            out.append(StreamEntry(stream, target.ids[index], envelope, raw, error))
        return out

    async def delete(self, stream: str, ids: Iterable[str]) -> int:
        self._check_open()
        keys = [parse_entry_id(entry_id) for entry_id in ids]
        target = self._broker.streams.get(self._prefix + stream)
        if target is None:
            return 0
        deleted = 0
        for key in keys:
            index = target.index(key)
            if index is not None:
                del target.keys[index], target.ids[index], target.raws[index]
                deleted += 1
        return deleted

    async def read_after(
        self, stream: str, after: str, *, count: int = 100, block_ms: int | None = None
    ) -> list[StreamEntry]:
        self._check_open()
        if count < 1:
            raise ValueError("count must be at least 1")
        low = parse_entry_id(after)
        deadline = time.monotonic() + block_ms / 1000 if block_ms else None
        while True:
            target = self._broker.stream(self._prefix + stream)
            first = bisect_right(target.keys, low)
            out = []
            for index in range(first, min(len(target.keys), first + count)):
                raw = target.raws[index]
                envelope, error = decode_envelope(raw)
                out.append(StreamEntry(stream, target.ids[index], envelope, raw, error))
            now = time.monotonic()
            if out or deadline is None or now >= deadline:
                return out
            await self._wait(target, deadline - now)
            self._check_open()

    async def last_id(self, stream: str) -> str:
        self._check_open()
        target = self._broker.streams.get(self._prefix + stream)
        return target.ids[-1] if target is not None and target.ids else "0-0"

    async def group_info(self, stream: str) -> list[GroupInfo]:
        self._check_open()
        target = self._broker.streams.get(self._prefix + stream)
        if target is None:
            return []
        out = []
        for name, state in target.groups.items():
            oldest = next(iter(state.pending), None)
            lag = len(target.keys) - bisect_right(target.keys, state.last_delivered)
            ms, seq = state.last_delivered
            out.append(GroupInfo(name, len(state.pending), f"{ms}-{seq}", oldest, lag))
        return out

    async def trim_consumed(self, stream: str) -> int:
        self._check_open()
        target = self._broker.streams.get(self._prefix + stream)
        if target is None or not target.groups:
            return 0
        floor = min(_consumed_floor(state) for state in target.groups.values())
        cut = bisect_left(target.keys, floor)
        if cut:
            del target.keys[:cut], target.ids[:cut], target.raws[:cut]
        return cut


def _consumed_floor(state: _Group) -> EntryKey:
    """The smallest entry key ``state`` still needs: its oldest pending entry, else the next undelivered."""
    for pending in state.pending.values():  # PEL order is id order: the first is the oldest
        return pending.key
    ms, seq = state.last_delivered
    return (ms, seq + 1)


def _range_bound(text: str, *, end: bool) -> EntryKey:
    """An XRANGE bound: ``(`` makes it exclusive."""
    if not text.startswith("("):
        return parse_entry_id(text, end=end)
    ms, seq = parse_entry_id(text[1:])
    if end:
        return (ms, seq - 1) if seq > 0 else (ms - 1, _MAX_PART)
    return (ms, seq + 1) if seq < _MAX_PART else (ms + 1, 0)


__all__ = ["InMemoryBroker", "InMemoryBus", "parse_entry_id", "shared_broker"]
