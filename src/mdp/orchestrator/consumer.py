"""Feeds the orchestrator's state from Pulse: replay the telemetry streams, then follow them live.

State is not persisted. At start the consumer rebuilds it from the streams themselves, which Pulse keeps
(trimmed to ``MDP_PULSE_MAXLEN``):

1. ensure the consumer group of every telemetry stream exists (created at ``$`` if new, so it does not
   hand over the history a second time);
2. **replay**: read each stream from its first entry with ``read_range`` (no group, nothing acked or
   claimed) and apply every event, remembering the last entry id replayed;
3. **follow**: subscribe with the group. Entries at or before the replayed id (a restarted orchestrator's
   unread backlog) are acked without being applied again; later ones are applied.

Every apply is idempotent anyway (see :mod:`mdp.orchestrator.aggregator`), so overlaps are harmless; the id
check only saves work. An event whose payload breaks its contract is dead-lettered to ``<stream>.dlq``
(nothing is lost); during replay it is only counted. If the bus is down at start, the consumer retries with
backoff while the web app keeps serving (its health reports the bus as unhealthy).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Literal

from mdp.orchestrator.metrics import OrchestratorMetrics
from mdp.orchestrator.state import STREAMS, OrchestratorState
from mdp.pulse.base import BatchOutcome, Delivery, EventBus, Handler, Subscription
from mdp.pulse.subscription import backoff_delay

log = logging.getLogger("mdp.orchestrator.consumer")

Phase = Literal["starting", "replaying", "live", "waiting", "stopped"]
REPLAY_PAGE = 1_000


def entry_key(entry_id: str) -> tuple[int, int]:
    """``"<ms>-<seq>"`` as a comparable pair."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class TelemetryConsumer:
    """Replays and then follows the four telemetry streams into an :class:`OrchestratorState`."""

    def __init__(
        self,
        bus: EventBus,
        state: OrchestratorState,
        metrics: OrchestratorMetrics,
        *,
        group: str,
        consumer: str,
        replay: bool = True,
        streams: tuple[str, ...] = STREAMS,
        clock: Callable[[], float] = time.time,
        batch_size: int = 500,
        block_ms: int = 1_000,
        retry_base_s: float = 0.2,
        retry_max_s: float = 5.0,
    ) -> None:
        self._bus = bus
        self._state = state
        self._metrics = metrics
        self.group = group
        self.consumer = consumer
        self._replay = replay
        self.streams = streams
        self._clock = clock
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._retry_base_s, self._retry_max_s = retry_base_s, retry_max_s
        self._subscriptions: list[Subscription] = []
        self.replayed_until: dict[str, tuple[int, int]] = {}
        self.replayed: dict[str, int] = dict.fromkeys(streams, 0)
        self.phase: Phase = "starting"
        self.last_error: str | None = None
        self.live = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Worker: start (retrying while the bus is down), follow until ``stop``, then unsubscribe."""
        attempt = 0
        try:
            while not stop.is_set():
                try:
                    await self._start()
                    break
                except Exception as exc:  # the bus is down or answered nonsense: retry, loudly
                    await self.stop()  # drop subscriptions a half-finished start created
                    attempt += 1
                    self.phase, self.last_error = "waiting", f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "orchestrator consumer cannot start (attempt %d): %s", attempt, self.last_error
                    )
                    await self._stoppable_sleep(stop, self._delay(attempt))
            await stop.wait()
        finally:
            await self.stop()

    async def _start(self) -> None:
        self.phase = "starting"
        await self._bus.start()  # idempotent; Redis: fails fast while the server is down
        for stream in self.streams:
            await self._bus.ensure_group(stream, self.group, start="$")
        if self._replay:
            self.phase = "replaying"
            for stream in self.streams:
                await self._replay_stream(stream)
        for stream in self.streams:
            subscription = await self._bus.subscribe(
                stream,
                self.group,
                self.consumer,
                self._handler(stream),
                batch_size=self._batch_size,
                block_ms=self._block_ms,
            )
            self._subscriptions.append(subscription)
        self.phase, self.last_error = "live", None
        self.live.set()
        log.info(
            "orchestrator consumer live",
            extra={"group": self.group, "consumer": self.consumer, "replayed": self.replayed},
        )

    async def stop(self) -> None:
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.stop()
        self.phase = "stopped"

    @property
    def healthy(self) -> bool:
        """Live with every subscription running."""
        return self.phase == "live" and all(not s.done for s in self._subscriptions)

    def _delay(self, attempt: int) -> float:
        return backoff_delay(
            attempt, base_s=self._retry_base_s, max_s=self._retry_max_s, jitter=random.random()
        )

    @staticmethod
    async def _stoppable_sleep(stop: asyncio.Event, seconds: float) -> None:
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            return

    # -- replay ----------------------------------------------------------------------------------------
    async def _replay_stream(self, stream: str) -> None:
        start, last = "-", None
        count = 0
        while True:
            entries = await self._bus.read_range(stream, start, "+", count=REPLAY_PAGE)
            now = self._clock()
            for entry in entries:
                last = entry.message_id
                if entry.envelope is None:
                    continue  # malformed: the live group dead-letters it; replay only skips it
                outcome = self._state.handle(stream, entry.envelope.type, entry.envelope.payload, now=now)
                self._metrics.record(stream, outcome)
                count += 1
            if len(entries) < REPLAY_PAGE:
                break
            start = f"({entries[-1].message_id}"
            await asyncio.sleep(0)  # keep the web app responsive during a long replay
        self.replayed[stream] = count
        if last is not None:
            self.replayed_until[stream] = entry_key(last)

    # -- live ------------------------------------------------------------------------------------------
    def _handler(self, stream: str) -> Handler:
        async def handle(batch: list[Delivery]) -> BatchOutcome | None:
            now = self._clock()
            replayed = self.replayed_until.get(stream)
            for delivery in batch:
                if replayed is not None and entry_key(delivery.message_id) <= replayed:
                    continue  # applied during the replay
                envelope = delivery.envelope
                assert envelope is not None  # malformed entries are dead-lettered by the subscription
                outcome = self._state.handle(stream, envelope.type, envelope.payload, now=now)
                self._metrics.record(stream, outcome)
                if outcome.error is not None:
                    log.warning(
                        "telemetry event refused",
                        extra={"stream": stream, "entry": delivery.message_id, "error": outcome.error},
                    )
                    await self._bus.dead_letter(stream, self.group, delivery, outcome.error)
            return None

        return handle


__all__ = ["REPLAY_PAGE", "TelemetryConsumer", "entry_key"]
