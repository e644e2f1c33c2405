"""The pipeline loop: read a batch of ``md.bars.raw``, enforce, write outputs, then ack the input.

Per batch:

1. ``read`` up to ``batch_size`` entries as consumer ``<hostname>-<pid>`` of group ``pipeline``
   (entries another consumer left pending are reclaimed first);
2. entries that are not envelopes go to the DLQ with reason ``malformed`` (whatever the mode: they cannot
   be forwarded as envelopes); the payloads of the others are judged with
   :meth:`~mdp.enforcement.Enforcer.enforce_columns`, one call per schema reference in the batch;
3. valid (and warn / off / disabled) messages are forwarded with their exact bytes
   (:meth:`~mdp.pulse.base.EventBus.publish_raw`), strict-mode rejections become DLQ records;
4. only after both writes succeeded is the input acked. A failed write leaves the whole batch pending: it
   is reclaimed and processed again (at-least-once; the store deduplicates by envelope id).

Beside the loop run tail readers of ``telemetry.feedback`` (flow control) and ``schema.published`` /
``schema.deprecated`` (immediate schema refresh), and housekeeping: trimming what every group consumed
from the input stream, the DLQ depth, the output backlog guard and windowed ``telemetry.validation``
stats. Stopping lets the batch in flight finish (outputs written, input acked) before returning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from mdp.contracts.telemetry import BackpressureLevel, FeedbackEvent
from mdp.enforcement import Enforcer
from mdp.pipeline.dlq import malformed_letter, rejection_letter
from mdp.pipeline.feedback import FlowController
from mdp.pipeline.metrics import PipelineMetrics
from mdp.pulse.base import Delivery, EventBus, StreamEntry
from mdp.pulse.deadletter import DeadLetter
from mdp.pulse.streams import FEEDBACK, GROUP_PIPELINE, SCHEMA_STREAMS, VALIDATION
from mdp.pulse.telemetry import TelemetryPublisher

log = logging.getLogger("mdp.pipeline")
SOURCE = "mdp-pipeline"
RETRY_DELAY_S = 0.5


@dataclass
class ServiceState:
    """What /health and tests read: counts since start and the last batch."""

    batches: int = 0
    forwarded: int = 0
    dead_lettered: int = 0
    write_failures: int = 0
    in_flight: int = 0
    last_batch_at: float | None = None
    last_error: str | None = None
    running: bool = False
    dlq_depth: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class PipelineService:
    """Consumes ``input_stream``, enforces, forwards to ``output_stream`` or dead-letters to the DLQ."""

    def __init__(
        self,
        bus: EventBus,
        enforcer: Enforcer,
        *,
        input_stream: str,
        output_stream: str,
        dlq_stream: str,
        consumer: str,
        metrics: PipelineMetrics,
        flow: FlowController,
        group: str = GROUP_PIPELINE,
        batch_size: int = 1000,
        block_ms: int = 1000,
        telemetry: TelemetryPublisher | None = None,
        on_schema_event: Callable[[StreamEntry], None] | None = None,
        downstream_group: str = "store",
        stats_interval_s: float = 60.0,
        housekeeping_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.enforcer = enforcer
        self.input_stream, self.output_stream, self.dlq_stream = input_stream, output_stream, dlq_stream
        self.group, self.consumer = group, consumer
        self.metrics = metrics
        self.flow = flow
        self.batch_size, self.block_ms = batch_size, block_ms
        self.telemetry = telemetry
        self.on_schema_event = on_schema_event
        self.downstream_group = downstream_group
        self.stats_interval_s, self.housekeeping_s = stats_interval_s, housekeeping_s
        self.clock, self.monotonic = clock, monotonic
        self.state = ServiceState()
        self._wake = asyncio.Event()

    # -- one batch ------------------------------------------------------------------------------------------

    async def process(self, deliveries: list[Delivery]) -> None:
        """Enforce one batch, write its outputs, then ack it; a write failure leaves it pending and raises."""
        started = time.perf_counter()
        now = self.clock()
        mode = self.enforcer.mode if self.enforcer.enabled else "off"
        letters: list[DeadLetter] = []
        ok = [delivery for delivery in deliveries if delivery.envelope is not None]
        if len(ok) != len(deliveries):
            letters += [malformed_letter(d, mode=mode, now=now) for d in deliveries if d.envelope is None]
        rejected = self._judge(ok, letters, mode, now)
        forward = (
            [d.raw for d in ok] if not rejected else [d.raw for i, d in enumerate(ok) if i not in rejected]
        )
        try:
            if forward:
                await self.bus.publish_raw(self.output_stream, forward)
            if letters:
                await self.bus.publish_many(
                    self.dlq_stream, [letter.to_envelope(source=SOURCE) for letter in letters]
                )
        except Exception as exc:
            self.state.write_failures += 1
            self.state.last_error = f"{type(exc).__name__}: {exc}"
            self.metrics.publish_errors.inc()
            with contextlib.suppress(Exception):  # best effort: the entries stay pending either way
                await self.bus.fail_many(
                    self.input_stream, self.group, [(d, self.state.last_error) for d in deliveries]
                )
            raise
        await self.bus.ack(self.input_stream, self.group, [delivery.message_id for delivery in deliveries])
        self.state.batches += 1
        self.state.forwarded += len(forward)
        self.state.dead_lettered += len(letters)
        self.state.last_batch_at = now
        self.flow.note_forwarded(len(forward))
        self.metrics.batches.inc()
        self.metrics.forwarded.inc(len(forward))
        for letter in letters:
            self.metrics.dead_lettered.labels(letter.reason or "invalid").inc()
        self.metrics.batch_seconds.observe(time.perf_counter() - started)

    def _judge(self, ok: list[Delivery], letters: list[DeadLetter], mode: str, now: float) -> set[int]:
        """Enforce ``ok`` (one call per schema reference); append DLQ letters; return rejected indices."""
        if not ok:
            return set()
        refs = [delivery.envelope.schema for delivery in ok]  # type: ignore[union-attr]
        if refs.count(refs[0]) == len(refs):  # the usual case: one producer schema per batch
            groups: list[tuple[Any, list[int]]] = [(refs[0], list(range(len(ok))))]
        else:
            by_ref: dict[Any, list[int]] = {}
            for index, ref in enumerate(refs):
                by_ref.setdefault(ref, []).append(index)
            groups = list(by_ref.items())
        rejected: set[int] = set()
        for ref, members in groups:
            payloads = [ok[index].envelope.payload for index in members]  # type: ignore[union-attr]
            result = self.enforcer.enforce_columns(payloads, ref, stream=self.input_stream)
            rulings = result.rulings
            for position in result.failures:
                ruling = rulings[position]
                if ruling.action == "dead_letter":
                    index = members[position]
                    rejected.add(index)
                    letters.append(rejection_letter(ok[index], ruling, mode=mode, now=now))
        return rejected

    # -- the loop -------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Process batches until ``stop`` is set; the batch in flight is finished first."""
        await self._retry(lambda: self.bus.ensure_group(self.input_stream, self.group), stop)
        helpers = [
            asyncio.create_task(self._tail(FEEDBACK, self._on_feedback, stop), name="pipeline:feedback"),
            asyncio.create_task(self._housekeeping(stop), name="pipeline:housekeeping"),
        ]
        if self.on_schema_event is not None:
            helpers += [
                asyncio.create_task(self._tail(stream, self._on_schema, stop), name=f"pipeline:{stream}")
                for stream in SCHEMA_STREAMS
            ]
        with contextlib.suppress(Exception):  # the guard starts from a measurement, not from nothing
            self.flow.observe_backlog(await self.output_backlog())
        self.state.running = True
        log.info(
            "pipeline started",
            extra={"input": self.input_stream, "output": self.output_stream, "consumer": self.consumer},
        )
        try:
            while not stop.is_set():
                await self._step(stop)
        finally:
            self.state.running = False
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self._publish_stats()  # the last window, so a stop loses no counts
            log.info("pipeline stopped", extra={"batches": self.state.batches})

    async def _step(self, stop: asyncio.Event) -> None:
        now = self.monotonic()
        level = self.flow.level(now)
        self.metrics.set_level(str(level))
        if level == BackpressureLevel.HARD:
            await self._wait(stop, 0.25)
            self.metrics.paused_seconds.inc(max(0.0, self.monotonic() - now))
            return
        count = self.flow.batch_size(self.batch_size, now)
        try:
            deliveries = await self._read(count, stop)
        except Exception as exc:
            self._note_error("read", exc)
            await self._wait(stop, RETRY_DELAY_S)
            return
        if deliveries:
            self.state.in_flight = len(deliveries)
            try:
                # Shielded: a cancellation (a second Ctrl-C) must not cut a batch between write and ack.
                await asyncio.shield(self.process(deliveries))
            except Exception as exc:
                self._note_error("write", exc)
                await self._wait(stop, RETRY_DELAY_S)
            finally:
                self.state.in_flight = 0
        delay = self.flow.delay_s(self.monotonic())
        if delay:
            await self._wait(stop, delay)

    async def _read(self, count: int, stop: asyncio.Event) -> list[Delivery]:
        read = asyncio.ensure_future(
            self.bus.read(self.input_stream, self.group, self.consumer, count=count, block_ms=self.block_ms)
        )
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait((read, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if read.done():
            return read.result()
        read.cancel()  # stopping: what the server may already have delivered stays pending and is reclaimed
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await read
        return []

    async def _wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep up to ``seconds``; wakes early on stop or on a feedback event."""
        self._wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _retry(self, call: Callable[[], Awaitable[Any]], stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await call()
                return
            except Exception as exc:
                self._note_error("start", exc)
                await self._wait(stop, RETRY_DELAY_S)

    def _note_error(self, what: str, exc: Exception) -> None:
        self.state.last_error = f"{what}: {type(exc).__name__}: {exc}"
        log.warning("pipeline %s failed: %s: %s", what, type(exc).__name__, exc)

    # -- tail readers ---------------------------------------------------------------------------------------

    async def _tail(self, stream: str, handle: Callable[[StreamEntry], None], stop: asyncio.Event) -> None:
        """Every entry of ``stream`` from now on (no group: every pipeline instance sees every event)."""
        cursor: str | None = None
        while not stop.is_set():
            try:
                if cursor is None:
                    cursor = await self.bus.last_id(stream)
                entries = await self.bus.read_after(stream, cursor, count=100, block_ms=1000)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._note_error(f"tail {stream}", exc)
                await self._wait(stop, RETRY_DELAY_S)
                continue
            for entry in entries:
                cursor = entry.message_id
                try:
                    handle(entry)
                except Exception:
                    log.exception("handling %s entry %s failed", stream, entry.message_id)

    def _on_feedback(self, entry: StreamEntry) -> None:
        if entry.envelope is None:
            return
        try:
            event = FeedbackEvent.model_validate(entry.envelope.payload)
        except ValidationError as exc:
            log.warning("ignoring an invalid FeedbackEvent %s: %s", entry.message_id, exc.errors()[:1])
            return
        self.flow.observe(event, self.monotonic())
        self.metrics.feedback_events.labels(str(event.level)).inc()
        self._wake.set()

    def _on_schema(self, entry: StreamEntry) -> None:
        if self.on_schema_event is not None and entry.envelope is not None:
            self.on_schema_event(entry)

    # -- housekeeping ---------------------------------------------------------------------------------------

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        next_stats = self.monotonic() + self.stats_interval_s
        while not stop.is_set():
            try:
                await self.housekeep()
                if self.monotonic() >= next_stats:
                    next_stats = self.monotonic() + self.stats_interval_s
                    await self._publish_stats()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._note_error("housekeeping", exc)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self.housekeeping_s)

    async def housekeep(self) -> None:
        """Trim the consumed input, read the DLQ depth and the downstream backlog."""
        trimmed = await self.bus.trim_consumed(self.input_stream)
        if trimmed:
            self.metrics.trimmed.inc(trimmed)
        depth = await self.bus.stream_length(self.dlq_stream)
        self.state.dlq_depth = depth
        self.enforcer.set_dlq_depth(self.dlq_stream, depth)
        backlog = await self.output_backlog()
        self.flow.observe_backlog(backlog)
        self.metrics.output_backlog.set(-1 if backlog is None else backlog)

    async def output_backlog(self) -> int | None:
        """What the downstream group has not finished; the whole stream when that group does not exist."""
        for info in await self.bus.group_info(self.output_stream):
            if info.name == self.downstream_group:
                return info.backlog
        return await self.bus.stream_length(self.output_stream)

    async def _publish_stats(self) -> None:
        if self.telemetry is None:
            return
        for stats in self.enforcer.drain_stats(self.clock()):
            await self.telemetry.publish(VALIDATION, stats)


__all__ = ["SOURCE", "PipelineService", "ServiceState"]
