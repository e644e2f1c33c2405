"""The push helper shared by every bus: a task that reads batches, runs a handler, then acks or fails.

It only uses the public :class:`~mdp.pulse.base.EventBus` methods, so both adapters get identical
behaviour. The loop outlives its backend: a dropped connection (``BusUnavailable``) or a vanished group
(Redis restarted without persistence) is retried with jittered exponential backoff until the bus comes
back, and nothing is lost because un-acked entries stay pending and are reclaimed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from types import TracebackType
from typing import Self

from mdp.pulse.base import BatchOutcome, Delivery, EventBus, Handler, MalformedPolicy
from mdp.pulse.deadletter import clip_error
from mdp.pulse.errors import BusClosed, GroupNotFound

logger = logging.getLogger("mdp.pulse")


def backoff_delay(attempt: int, *, base_s: float, max_s: float, jitter: float) -> float:
    """Delay before retry ``attempt`` (1-based): doubling from ``base_s``, capped, scaled by ``jitter``.

    ``jitter`` in [0, 1) comes from the caller (``random.random()``); the delay is in [cap/2, cap), the
    "equal jitter" scheme, so retries of many consumers spread out but never collapse to zero.
    """
    cap = min(max_s, base_s * 2.0 ** min(attempt - 1, 30))
    return cap / 2 + cap / 2 * jitter


class BusSubscription:
    """A running consumer loop; see :meth:`mdp.pulse.base.EventBus.subscribe` for the contract."""

    def __init__(
        self,
        bus: EventBus,
        stream: str,
        group: str,
        consumer: str,
        handler: Handler,
        *,
        batch_size: int,
        block_ms: int,
        start: str,
        malformed: MalformedPolicy,
        retry_base_s: float,
        retry_max_s: float,
        on_done: Callable[[BusSubscription], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._bus = bus
        self.stream, self.group, self.consumer = stream, group, consumer
        self._handler = handler
        self._batch_size = batch_size
        self._block_ms = max(1, block_ms)
        self._start = start
        self._malformed = malformed
        self._retry_base_s, self._retry_max_s = retry_base_s, retry_max_s
        self._on_done = on_done
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._interruptible = False  # True while waiting (read/backoff): stop() may cancel right away
        self._processed = 0
        self._failed = 0
        self._dead_lettered = 0
        self.last_error: str | None = None

    def start(self) -> None:
        """Start the loop task (the group must already exist)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"pulse:{self.stream}:{self.group}:{self.consumer}"
            )

    @property
    def done(self) -> bool:
        return self._task is not None and self._task.done()

    @property
    def processed(self) -> int:
        return self._processed

    @property
    def failed(self) -> int:
        return self._failed

    @property
    def dead_lettered(self) -> int:
        """Malformed entries this loop moved to the DLQ."""
        return self._dead_lettered

    async def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping = True
        task = self._task
        if task is None or task.done():
            return
        if self._interruptible:
            task.cancel()
        await asyncio.wait({task}, timeout=timeout_s)
        if not task.done():  # the handler overran the grace period: abandon the batch (it is redelivered)
            task.cancel()
            await asyncio.wait({task})
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover - _run catches all
            logger.error("subscription %s ended with %r", task.get_name(), task.exception())

    async def __aenter__(self) -> BusSubscription:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        attempt = 0
        need_group = False
        try:
            while not self._stopping:
                try:
                    if need_group:
                        await self._bus.ensure_group(self.stream, self.group, self._start)
                        need_group = False
                    self._interruptible = True
                    batch = await self._bus.read(
                        self.stream,
                        self.group,
                        self.consumer,
                        count=self._batch_size,
                        block_ms=self._block_ms,
                    )
                    self._interruptible = False
                    attempt = 0
                    if batch:
                        await self._handle(batch)
                        # The in-memory bus never suspends while entries are waiting: yield once per batch
                        # so a backlog cannot starve the other tasks of the loop.
                        await asyncio.sleep(0)
                except BusClosed:
                    return
                except GroupNotFound as exc:
                    logger.warning(
                        "pulse group %s/%s vanished (%s); recreating it", self.stream, self.group, exc
                    )
                    need_group = True
                    attempt += 1
                    await self._pause(attempt)
                except Exception as exc:  # backend down, or a bug: keep the consumer alive, loudly
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    attempt += 1
                    logger.warning(
                        "pulse subscription %s/%s/%s error (attempt %d): %s",
                        self.stream,
                        self.group,
                        self.consumer,
                        attempt,
                        self.last_error,
                    )
                    await self._pause(attempt)
        finally:
            self._interruptible = False
            if self._on_done is not None:
                self._on_done(self)

    async def _pause(self, attempt: int) -> None:
        self._interruptible = True
        delay = backoff_delay(
            attempt, base_s=self._retry_base_s, max_s=self._retry_max_s, jitter=random.random()
        )
        await asyncio.sleep(delay)
        self._interruptible = False

    async def _handle(self, batch: list[Delivery]) -> None:
        bus, stream, group = self._bus, self.stream, self.group
        good = batch
        if self._malformed == "dead_letter" and any(delivery.envelope is None for delivery in batch):
            good = []
            for delivery in batch:
                if delivery.envelope is None:
                    await bus.dead_letter(stream, group, delivery, delivery.error or "malformed entry")
                    self._dead_lettered += 1
                else:
                    good.append(delivery)
            if not good:
                return
        try:
            outcome: object = await self._handler(good)  # typed, but handlers are user code
        except Exception as exc:
            error = clip_error(f"{type(exc).__name__}: {exc}")
            self.last_error = error
            logger.warning("pulse handler failed on %d entries of %s/%s: %s", len(good), stream, group, error)
            await bus.fail_many(stream, group, [(delivery, error) for delivery in good])
            self._failed += len(good)
            return
        if outcome is not None and not isinstance(outcome, BatchOutcome):
            error = f"handler returned {type(outcome).__name__}; expected BatchOutcome or None"
            self.last_error = error
            logger.error("pulse handler of %s/%s: %s", stream, group, error)
            await bus.fail_many(stream, group, [(delivery, error) for delivery in good])
            self._failed += len(good)
            return
        failed = outcome.failed if outcome is not None else {}
        if failed:
            to_fail = [(d, clip_error(failed[d.message_id])) for d in good if d.message_id in failed]
            to_ack = [d.message_id for d in good if d.message_id not in failed]
        else:
            to_fail, to_ack = [], [d.message_id for d in good]
        if to_ack:
            await bus.ack(stream, group, to_ack)
            self._processed += len(to_ack)
        if to_fail:
            await bus.fail_many(stream, group, to_fail)
            self._failed += len(to_fail)


class SubscriptionSet:
    """The subscriptions a bus started, so ``close()`` can stop them all."""

    def __init__(self) -> None:
        self._live: set[BusSubscription] = set()

    def add(self, subscription: BusSubscription) -> None:
        self._live.add(subscription)

    def discard(self, subscription: BusSubscription) -> None:
        self._live.discard(subscription)

    async def stop_all(self, timeout_s: float = 5.0) -> None:
        subscriptions = list(self._live)
        if subscriptions:
            await asyncio.gather(*(subscription.stop(timeout_s) for subscription in subscriptions))
        self._live.clear()


class SubscribingBus:
    """Mixin giving an adapter ``subscribe`` and async-context-manager support on top of its primitives.

    The adapter provides ``ensure_group``, ``start``, ``close``, ``_subscriptions`` (a
    :class:`SubscriptionSet`) and the retry delays ``_retry_base_s`` / ``_retry_max_s``.
    """

    _subscriptions: SubscriptionSet
    _retry_base_s: float
    _retry_max_s: float

    async def ensure_group(self, stream: str, group: str, start: str = "0") -> None:
        raise NotImplementedError

    async def start(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

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
    ) -> BusSubscription:
        """See :meth:`mdp.pulse.base.EventBus.subscribe`."""
        await self.ensure_group(stream, group, start)
        subscription = BusSubscription(
            self,  # type: ignore[arg-type]  # the adapter using this mixin is an EventBus
            stream,
            group,
            consumer,
            handler,
            batch_size=batch_size,
            block_ms=block_ms,
            start=start,
            malformed=malformed,
            retry_base_s=self._retry_base_s,
            retry_max_s=self._retry_max_s,
            on_done=self._subscriptions.discard,
        )
        self._subscriptions.add(subscription)
        subscription.start()
        return subscription

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


__all__ = ["BusSubscription", "SubscribingBus", "SubscriptionSet", "backoff_delay"]
