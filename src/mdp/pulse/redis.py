"""The Redis Streams event bus (``EVENT_BUS_BACKEND=redis``) on ``redis.asyncio``.

Each envelope is one stream entry with one field, ``envelope``. Publishing is XADD with approximate MAXLEN
trimming (``publish_many`` is one non-transactional pipeline); groups are XGROUP CREATE ... MKSTREAM;
reads are XREADGROUP with COUNT and BLOCK. Reclaiming is done inside ``read`` (at most every
``claim_idle_ms / 2``, capped at 5 s): XPENDING (extended form, IDLE filter) lists idle entries with their
delivery counts; those with ``max_deliveries`` deliveries are XCLAIMed and moved to ``<stream>.dlq`` in a
MULTI (XADD + XACK + HDEL), the others are XCLAIMed (which increments the count) and redelivered. XCLAIM's
min-idle check makes each claim atomic, so two consumers never both take (or dead-letter) one entry.
Last errors from ``fail`` live in a hash ``<prefix><stream>:pulse-errors:<group>`` (entry id -> error),
removed on ack and dead-lettering.

Connection drops (ConnectionError / TimeoutError, including a restart or ``CLIENT KILL``) are retried with
jittered exponential backoff up to ``retry_attempts`` times, then raised as ``BusUnavailable``;
subscriptions keep retrying forever. redis-py's own retry is disabled so there is one retry policy and
every retry is counted (``pulse_bus_reconnects_total``).

Speed: redis-py's pipeline packs every command in Python (~25 us per XADD), which caps a producer near
30k msgs/s. This adapter therefore uses redis-py only for connections (pooling, AUTH/SELECT/CLIENT SETNAME,
parsing with hiredis when installed) and writes the RESP itself: a batch of commands becomes one buffer,
one write, then one reply read per command, exactly what a non-transactional pipeline puts on the wire.
Replies are the raw RESP2 values (bytes, ints, lists), parsed once here.

``redis`` is an optional dependency (the ``redis`` extra), imported only when a RedisBus is built.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from mdp.pulse.base import Delivery, Envelope, GroupInfo, StreamEntry
from mdp.pulse.deadletter import DeadLetter, clip_error
from mdp.pulse.envelope import decode_envelope
from mdp.pulse.errors import (
    BusClosed,
    BusUnavailable,
    GroupNotFound,
    InvalidEntryId,
    MissingDependency,
    PulseError,
)
from mdp.pulse.metrics import PulseMetrics, pulse_metrics
from mdp.pulse.streams import dlq_stream, is_data_stream
from mdp.pulse.subscription import SubscribingBus, SubscriptionSet, backoff_delay

logger = logging.getLogger("mdp.pulse")
FIELD = b"envelope"
Command = tuple[Any, ...]

# publish_sequenced: compare, append and store the sequence in one atomic step.
_SEQUENCED_XADD = """
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) <= current then return false end
local id
if ARGV[3] == '0' then
  id = redis.call('XADD', KEYS[1], '*', 'envelope', ARGV[2])
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'envelope', ARGV[2])
end
redis.call('SET', KEYS[2], ARGV[1])
return id
"""


def _load_redis() -> Any:
    try:
        import redis.asyncio as aioredis
    except ImportError as exc:  # pragma: no cover - the dev environment has the extra
        raise MissingDependency(
            "the Redis event bus needs the 'redis' extra: pip install 'mdp[redis]'"
        ) from exc
    return aioredis


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisBus(SubscribingBus):
    """:class:`~mdp.pulse.base.EventBus` on Redis Streams."""

    backend = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "",
        max_deliveries: int = 5,
        claim_idle_ms: int = 30_000,
        maxlen: int = 1_000_000,
        source: str = "pulse",
        metrics_registry: CollectorRegistry | None = None,
        retry_base_ms: int = 100,
        retry_max_ms: int = 5_000,
        retry_attempts: int = 5,
        client_name: str | None = None,
        socket_timeout_s: float = 10.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        if max_deliveries < 1 or claim_idle_ms < 1 or maxlen < 0 or retry_attempts < 0:
            raise ValueError("max_deliveries, claim_idle_ms >= 1; maxlen, retry_attempts >= 0")
        self._aioredis = _load_redis()
        from redis import exceptions

        self._exceptions = exceptions
        self._url = url
        self._prefix = prefix
        self._max_deliveries = max_deliveries
        self._claim_idle_ms = claim_idle_ms
        self._reclaim_every_s = min(max(claim_idle_ms / 2, 5), 5_000) / 1000
        self._maxlen = maxlen
        self._trim: tuple[Any, ...] = ("MAXLEN", "~", maxlen) if maxlen else ()
        self._source = source
        self._metrics: PulseMetrics | None = pulse_metrics(metrics_registry) if metrics_registry else None
        self._retry_base_s, self._retry_max_s = retry_base_ms / 1000, retry_max_ms / 1000
        self._retry_attempts = retry_attempts
        # redis-py would arm a timer around every reply it reads (a third of the cost of a 1000-XADD batch);
        # instead one deadline covers each whole exchange (plus the BLOCK time of a blocking read).
        self._io_timeout_s = socket_timeout_s
        self._client_options: dict[str, Any] = {
            "client_name": client_name,
            "socket_timeout": None,
            "socket_connect_timeout": connect_timeout_s,
        }
        self._pool: Any = None
        self._subscriptions = SubscriptionSet()
        self._next_reclaim: dict[tuple[str, str], float] = {}
        self._closed = False

    # lifecycle and transport ----------------------------------------------------------------------------
    def _connections(self) -> Any:
        if self._closed:
            raise BusClosed("the Redis bus is closed")
        if self._pool is None:
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._pool = self._aioredis.ConnectionPool.from_url(
                self._url, protocol=2, retry=Retry(NoBackoff(), 0), **self._client_options
            )
        return self._pool

    async def start(self) -> None:
        await self._execute("PING", [("PING",)])

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._subscriptions.stop_all()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.disconnect()

    async def _one(self, what: str, *command: Any, block_ms: int = 0) -> Any:
        return (await self._execute(what, [command], block_ms=block_ms))[0]

    async def _execute(
        self, what: str, commands: Sequence[Command], *, packed: bytes | None = None, block_ms: int = 0
    ) -> list[Any]:
        """Send ``commands`` in one write and read one reply each; retry drops, translate error replies.

        ``packed`` is the RESP of ``commands`` when the caller already built it (the publish fast path);
        ``block_ms`` extends the exchange's deadline for a blocking read.
        """
        errors = self._exceptions
        payload = packed if packed is not None else _pack(commands)
        deadline_s = self._io_timeout_s + block_ms / 1000
        attempt = 0
        while True:
            pool = self._connections()
            try:
                connection = await pool.get_connection()
                try:
                    async with asyncio.timeout(deadline_s):
                        await connection.send_packed_command(payload, check_health=False)
                        replies = []
                        for _ in commands:
                            try:
                                replies.append(await connection.read_response())
                            except errors.ResponseError as exc:  # consumed: the connection stays in step
                                replies.append(exc)
                finally:
                    # redis-py disconnects a connection whose I/O failed or was cancelled (our deadline
                    # included), so what goes back to the pool is either in step or reconnects on next use.
                    await pool.release(connection)
            except (errors.ConnectionError, errors.TimeoutError, TimeoutError, OSError) as exc:
                if self._closed:
                    raise BusClosed("the Redis bus was closed during " + what) from exc
                attempt += 1
                if attempt > self._retry_attempts:
                    raise BusUnavailable(f"Redis is unavailable ({what}): {exc}") from exc
                if self._metrics:
                    self._metrics.reconnects.labels(self.backend).inc()
                delay = backoff_delay(
                    attempt, base_s=self._retry_base_s, max_s=self._retry_max_s, jitter=random.random()
                )
                logger.warning("redis %s failed (%s); retry %d in %.3fs", what, exc, attempt, delay)
                await asyncio.sleep(delay)
                continue
            for reply in replies:
                if isinstance(reply, errors.ResponseError):
                    raise _translate(reply, what) from reply
            return replies

    # producing ---------------------------------------------------------------------------------------------
    def _trim_for(self, stream: str) -> tuple[Any, ...]:
        # Data streams are never trimmed by length: that could delete bars nobody has read yet.
        return () if is_data_stream(stream) else self._trim

    async def publish(self, stream: str, envelope: Envelope) -> str:
        data = envelope.to_json()
        key = self._prefix + stream
        entry_id = await self._one("XADD", "XADD", key, *self._trim_for(stream), "*", FIELD, data)
        if self._metrics:
            self._metrics.published.labels(stream).inc()
        return _text(entry_id)

    async def publish_many(self, stream: str, envelopes: Sequence[Envelope]) -> list[str]:
        if not envelopes:
            return []
        encoded = [envelope.to_json() for envelope in envelopes]  # encode all before sending any
        return await self.publish_raw(stream, encoded)

    async def publish_raw(self, stream: str, raws: Sequence[bytes]) -> list[str]:
        if not raws:
            return []
        key = self._prefix + stream
        trim = self._trim_for(stream)
        # Every XADD of the batch is "XADD <key> [MAXLEN ~ n] * envelope <data>": pack the constant head
        # once and append only each envelope, instead of re-encoding seven arguments per message.
        head = _pack([("XADD", key, *trim, "*", FIELD)])
        head = b"*%d" % (len(trim) + 5) + head[head.index(b"\r\n") :]
        packed = b"".join([head + b"$%d\r\n%s\r\n" % (len(data), data) for data in raws])
        commands = [("XADD",)] * len(raws)  # one reply per command; the RESP is already in ``packed``
        ids = await self._execute("XADD pipeline", commands, packed=packed)
        if self._metrics:
            self._metrics.published.labels(stream).inc(len(ids))
        return [_text(entry_id) for entry_id in ids]

    async def publish_sequenced(
        self, stream: str, envelope: Envelope, *, sequence_key: str, sequence: int
    ) -> str | None:
        data = envelope.to_json()
        keys = (self._prefix + stream, self._prefix + sequence_key)
        maxlen = 0 if is_data_stream(stream) else self._maxlen
        reply = await self._one("EVAL", "EVAL", _SEQUENCED_XADD, 2, *keys, sequence, data, maxlen)
        if reply is None:
            return None
        if self._metrics:
            self._metrics.published.labels(stream).inc()
        return _text(reply)

    async def get_sequence(self, sequence_key: str) -> int:
        reply = await self._one("GET", "GET", self._prefix + sequence_key)
        return int(reply) if reply is not None else 0

    async def inject_raw(self, stream: str, fields: dict[bytes, bytes]) -> str:
        """Append an entry with arbitrary fields (tests: malformed entries from foreign producers)."""
        key = self._prefix + stream
        flat = [part for pair in fields.items() for part in pair]
        return _text(await self._one("XADD", "XADD", key, "*", *flat))

    # groups and consuming ----------------------------------------------------------------------------------
    async def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        key = self._prefix + stream
        try:
            await self._one("XGROUP CREATE", "XGROUP", "CREATE", key, group, start, "MKSTREAM")
        except PulseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(
        self, stream: str, group: str, consumer: str, *, count: int = 100, block_ms: int | None = None
    ) -> list[Delivery]:
        if count < 1:
            raise ValueError("count must be at least 1")
        key = self._prefix + stream
        deadline = time.monotonic() + block_ms / 1000 if block_ms else None
        while True:
            now = time.monotonic()
            out: list[Delivery] = []
            if now >= self._next_reclaim.get((key, group), 0.0):
                self._next_reclaim[(key, group)] = now + self._reclaim_every_s
                out = await self._reclaim(stream, key, group, consumer, count)
            if len(out) < count:
                block: tuple[Any, ...] = ()
                wait_ms = 0
                if not out and deadline is not None and deadline > now:
                    wait_ms = max(1, int(min(deadline - now, self._reclaim_every_s) * 1000))
                    block = ("BLOCK", wait_ms)
                command = ("XREADGROUP", "GROUP", group, consumer, "COUNT", count - len(out), *block)
                reply = await self._one("XREADGROUP", *command, "STREAMS", key, ">", block_ms=wait_ms)
                if reply:
                    out.extend(self._deliveries(stream, group, reply[0][1], None, None))
            if out or deadline is None or time.monotonic() >= deadline:
                if out and self._metrics:
                    self._metrics.consumed.labels(stream, group).inc(len(out))
                return out

    def _deliveries(
        self,
        stream: str,
        group: str,
        entries: list[Any],
        counts: dict[bytes, int] | None,
        errors: list[Any] | None,
    ) -> list[Delivery]:
        out = []
        malformed = 0
        for index, (raw_id, fields) in enumerate(entries):
            raw, envelope, error = _decode_fields(fields)
            malformed += error is not None
            count = counts.get(raw_id, 0) + 1 if counts is not None else 1
            last_error = _text(errors[index]) if errors and errors[index] is not None else None
            out.append(Delivery(stream, raw_id.decode(), envelope, raw, error, group, count, last_error))
        if malformed and self._metrics:
            self._metrics.malformed.labels(stream).inc(malformed)
        return out

    async def _reclaim(self, stream: str, key: str, group: str, consumer: str, count: int) -> list[Delivery]:
        idle = self._claim_idle_ms
        pending = await self._one("XPENDING", "XPENDING", key, group, "IDLE", idle, "-", "+", count)
        if not pending:
            return []
        counts = {row[0]: int(row[3]) for row in pending}
        doomed = [entry_id for entry_id, delivered in counts.items() if delivered >= self._max_deliveries]
        retry = [entry_id for entry_id, delivered in counts.items() if delivered < self._max_deliveries]
        errors_key = self._errors_key(stream, group)
        out: list[Delivery] = []
        if retry:
            claimed, errors = await self._claim(key, group, consumer, retry, errors_key)
            out = self._deliveries(stream, group, claimed, counts, errors)
            if out and self._metrics:
                self._metrics.redelivered.labels(stream, group).inc(len(out))
        if doomed:
            claimed, errors = await self._claim(key, group, consumer, doomed, errors_key)
            letters = []
            for (raw_id, fields), error in zip(claimed, errors, strict=True):
                raw = _decode_fields(fields)[0]
                letters.append(
                    DeadLetter.of(
                        stream=stream,
                        entry_id=raw_id.decode(),
                        group=group,
                        delivery_count=counts[raw_id],
                        error=_text(error) if error is not None else "exceeded max deliveries without an ack",
                        raw=raw,
                        now=time.time(),
                    )
                )
            await self._move_to_dlq(stream, group, letters)
        return out

    async def _claim(
        self, key: str, group: str, consumer: str, ids: list[bytes], errors_key: str
    ) -> tuple[list[Any], list[Any]]:
        """XCLAIM ``ids`` (only those still idle) and fetch their last errors, in one round trip."""
        claimed, errors = await self._execute(
            "XCLAIM",
            [("XCLAIM", key, group, consumer, self._claim_idle_ms, *ids), ("HMGET", errors_key, *ids)],
        )
        # XCLAIM skips entries another consumer claimed first and entries deleted since delivery.
        by_id = dict(zip(ids, errors, strict=True))
        claimed = [entry for entry in claimed if entry is not None and entry[1] is not None]
        return claimed, [by_id.get(entry[0]) for entry in claimed]

    async def _move_to_dlq(self, stream: str, group: str, letters: list[DeadLetter]) -> list[str]:
        if not letters:
            return []
        key, dlq_key = self._prefix + stream, self._prefix + dlq_stream(stream)
        errors_key = self._errors_key(stream, group)
        ids = [letter.entry_id for letter in letters]
        encoded = [letter.to_envelope(source=self._source).to_json() for letter in letters]

        # MULTI/EXEC: the dead letters are written if and only if the source entries are acked.
        # The DLQ is never trimmed: dead letters are what operators must see.
        commands: list[Command] = [("MULTI",)]
        commands += [("XADD", dlq_key, "*", FIELD, data) for data in encoded]
        commands += [("XACK", key, group, *ids), ("HDEL", errors_key, *ids), ("EXEC",)]
        replies = await self._execute("dead-letter", commands)
        results = replies[-1]
        if results is None:  # pragma: no cover - only WATCH aborts an EXEC, and nothing is watched
            raise PulseError("dead-letter transaction was aborted")
        failed = [item for item in results if isinstance(item, Exception)]
        if failed:
            raise _translate(failed[0], "dead-letter")
        if self._metrics:
            self._metrics.dead_lettered.labels(stream, group).inc(len(letters))
            self._metrics.published.labels(dlq_stream(stream)).inc(len(letters))
        return [_text(entry_id) for entry_id in results[: len(letters)]]

    def _errors_key(self, stream: str, group: str) -> str:
        return f"{self._prefix}{stream}:pulse-errors:{group}"

    async def ack(self, stream: str, group: str, ids: Iterable[str]) -> int:
        wanted = list(ids)
        if not wanted:
            return 0
        key, errors_key = self._prefix + stream, self._errors_key(stream, group)

        replies = await self._execute("XACK", [("XACK", key, group, *wanted), ("HDEL", errors_key, *wanted)])
        acked = int(replies[0])
        if acked and self._metrics:
            self._metrics.acked.labels(stream, group).inc(acked)
        return acked

    async def fail(self, stream: str, group: str, delivery: Delivery, error: str) -> None:
        await self.fail_many(stream, group, [(delivery, error)])

    async def fail_many(self, stream: str, group: str, failures: Sequence[tuple[Delivery, str]]) -> None:
        if not failures:
            return
        errors_key = self._errors_key(stream, group)
        flat = [part for delivery, error in failures for part in (delivery.message_id, clip_error(error))]
        await self._one("HSET", "HSET", errors_key, *flat)
        if self._metrics:
            self._metrics.failed.labels(stream, group).inc(len(failures))

    async def dead_letter(self, stream: str, group: str, delivery: Delivery, error: str) -> str:
        letter = DeadLetter.of(
            stream=stream,
            entry_id=delivery.message_id,
            group=group,
            delivery_count=delivery.delivery_count,
            error=error,
            raw=delivery.raw,
            now=time.time(),
        )
        return (await self._move_to_dlq(stream, group, [letter]))[0]

    # inspection and DLQ tools ------------------------------------------------------------------------------
    async def pending_count(self, stream: str, group: str) -> int:
        key = self._prefix + stream
        summary = await self._one("XPENDING", "XPENDING", key, group)
        return int(summary[0])

    async def stream_length(self, stream: str) -> int:
        key = self._prefix + stream
        return int(await self._one("XLEN", "XLEN", key))

    async def read_range(
        self, stream: str, start: str = "-", end: str = "+", count: int = 100
    ) -> list[StreamEntry]:
        if count < 1:
            return []
        key = self._prefix + stream
        entries = await self._one("XRANGE", "XRANGE", key, start, end, "COUNT", count)
        out = []
        for raw_id, fields in entries:
            raw, envelope, error = _decode_fields(fields)
            out.append(StreamEntry(stream, raw_id.decode(), envelope, raw, error))
        return out

    async def delete(self, stream: str, ids: Iterable[str]) -> int:
        wanted = list(ids)
        if not wanted:
            return 0
        key = self._prefix + stream
        return int(await self._one("XDEL", "XDEL", key, *wanted))

    async def read_after(
        self, stream: str, after: str, *, count: int = 100, block_ms: int | None = None
    ) -> list[StreamEntry]:
        if count < 1:
            raise ValueError("count must be at least 1")
        key = self._prefix + stream
        block: tuple[Any, ...] = ("BLOCK", block_ms) if block_ms else ()
        reply = await self._one(
            "XREAD", "XREAD", "COUNT", count, *block, "STREAMS", key, after, block_ms=block_ms or 0
        )
        out = []
        for raw_id, fields in reply[0][1] if reply else ():
            raw, envelope, error = _decode_fields(fields)
            out.append(StreamEntry(stream, raw_id.decode(), envelope, raw, error))
        return out

    async def last_id(self, stream: str) -> str:
        entries = await self._one("XREVRANGE", "XREVRANGE", self._prefix + stream, "+", "-", "COUNT", 1)
        return _text(entries[0][0]) if entries else "0-0"

    async def group_info(self, stream: str) -> list[GroupInfo]:
        key = self._prefix + stream
        try:
            rows = await self._one("XINFO GROUPS", "XINFO", "GROUPS", key)
        except PulseError as exc:
            if "no such key" in str(exc):
                return []
            raise
        infos = [{_text(row[i]): row[i + 1] for i in range(0, len(row), 2)} for row in rows]
        pending = [info for info in infos if int(info["pending"])]
        oldest: dict[str, str] = {}
        if pending:  # one round trip for the oldest pending id of every group that has some
            summaries = await self._execute(
                "XPENDING", [("XPENDING", key, _text(info["name"])) for info in pending]
            )
            oldest = {
                _text(info["name"]): _text(summary[1])
                for info, summary in zip(pending, summaries, strict=True)
            }
        out = []
        for info in infos:
            name, lag = _text(info["name"]), info.get("lag")
            out.append(
                GroupInfo(
                    name=name,
                    pending=int(info["pending"]),
                    last_delivered_id=_text(info["last-delivered-id"]),
                    oldest_pending_id=oldest.get(name),
                    lag=int(lag) if lag is not None else None,
                )
            )
        return out

    async def trim_consumed(self, stream: str) -> int:
        groups = await self.group_info(stream)
        if not groups:
            return 0
        floors = []
        for group in groups:
            if group.oldest_pending_id is not None:
                floors.append(_id_key(group.oldest_pending_id))
            else:
                ms, seq = _id_key(group.last_delivered_id)
                floors.append((ms, seq + 1))
        ms, seq = min(floors)
        # MINID only removes entries below the floor: entries a group still needs are never touched, and
        # groups only ever move forward, so a floor computed a moment ago is still safe.
        return int(await self._one("XTRIM", "XTRIM", self._prefix + stream, "MINID", f"{ms}-{seq}"))


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _pack(commands: Iterable[Command]) -> bytes:
    """RESP2 encoding of commands (arrays of bulk strings), as any Redis client writes them."""
    parts: list[bytes] = []
    for command in commands:
        encoded = [arg if type(arg) is bytes else str(arg).encode() for arg in command]
        parts.append(b"*%d\r\n" % len(encoded))
        parts.append(b"".join([b"$%d\r\n%s\r\n" % (len(data), data) for data in encoded]))
    return b"".join(parts)


def _decode_fields(fields: list[Any]) -> tuple[bytes, Envelope | None, str | None]:
    """The entry's ``envelope`` field decoded, or the reason it cannot be.

    An entry without the field (a foreign producer's layout) keeps all its fields as ``raw``, as one JSON
    object of the field names and values (invalid UTF-8 backslash-escaped), so a dead letter loses nothing.
    """
    if len(fields) == 2 and fields[0] == FIELD:
        raw = fields[1]
    else:
        names = fields[0::2]
        if FIELD not in names:
            shown = ", ".join(repr(_text(name)) for name in names[:10])
            as_text = {
                name.decode("utf-8", "backslashreplace"): value.decode("utf-8", "backslashreplace")
                for name, value in zip(names, fields[1::2], strict=True)
            }
            return orjson.dumps(as_text), None, f"stream entry has no 'envelope' field (fields: {shown})"
        raw = fields[2 * names.index(FIELD) + 1]
    envelope, error = decode_envelope(raw)
    return raw, envelope, error


def _translate(exc: Exception, what: str) -> PulseError:
    message = str(exc)
    if message.startswith("NOGROUP"):
        return GroupNotFound(f"{what}: {message}")
    if "Invalid stream ID" in message:
        return InvalidEntryId(f"{what}: {message}")
    return PulseError(f"Redis rejected {what}: {message}")


__all__ = ["RedisBus"]
