"""Flow control from the store's backpressure (``telemetry.feedback``), pure: the caller passes ``now``.

Each store coordinator publishes :class:`~mdp.contracts.FeedbackEvent` with its level (ok / soft / hard).
The controller keeps the latest level per coordinator and the worst one wins:

* ``soft``: the pipeline reads half-size batches and waits ``soft_delay_s`` between them;
* ``hard``: it stops reading until the level falls back (the batch in flight is finished first).

**Expiry.** A level not refreshed for ``ttl_s`` expires to ok: a store that went silent (crashed, was
scaled down, lost its Pulse connection) must not pause the pipeline forever. That alone would let a dead
store's input grow without bound, so a second, independent signal guards the output stream: the backlog
of the downstream group (entries not yet delivered plus delivered and not acked) measured on the bus
itself. At ``max_backlog`` it counts as hard, from 80 % as soft; 0 disables it. A dead store therefore
stops the pipeline at a bounded md.bars, and a silent-but-working store never stalls it.

Memory is bounded: at most :data:`MAX_COORDINATORS` coordinators are remembered (expired ones go first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mdp.contracts.telemetry import BackpressureLevel, FeedbackEvent

MAX_COORDINATORS: Final = 1000
SOFT_BACKLOG_FRACTION: Final = 0.8
_RANK: Final = {BackpressureLevel.OK: 0, BackpressureLevel.SOFT: 1, BackpressureLevel.HARD: 2}


@dataclass(frozen=True, slots=True)
class _Seen:
    level: BackpressureLevel
    at: float


class FlowController:
    """The current intake level from feedback events and the output backlog."""

    def __init__(self, *, ttl_s: float, soft_delay_s: float, max_backlog: int = 0) -> None:
        if ttl_s <= 0 or soft_delay_s < 0 or max_backlog < 0:
            raise ValueError("ttl_s must be > 0, soft_delay_s and max_backlog >= 0")
        self.ttl_s = ttl_s
        self.soft_delay_s = soft_delay_s
        self.max_backlog = max_backlog
        self._coordinators: dict[str, _Seen] = {}
        self._backlog = BackpressureLevel.OK
        self.last_backlog: int | None = None

    def observe(self, event: FeedbackEvent, now: float) -> None:
        """Record a coordinator's latest level (``now``: the caller's monotonic clock)."""
        if event.coordinator_id not in self._coordinators and len(self._coordinators) >= MAX_COORDINATORS:
            self._expire(now)
            if len(self._coordinators) >= MAX_COORDINATORS:  # all live: forget the stalest one
                stalest = min(self._coordinators, key=lambda key: self._coordinators[key].at)
                del self._coordinators[stalest]
        self._coordinators[event.coordinator_id] = _Seen(BackpressureLevel(event.level), now)

    def observe_backlog(self, backlog: int | None) -> None:
        """Record the downstream group's backlog (``None``: unknown, which does not change the guard)."""
        if backlog is None:
            return
        self.last_backlog = backlog
        self._judge_backlog(backlog)

    def note_forwarded(self, count: int) -> None:
        """``count`` more output entries: between two measurements the backlog is assumed to grow by what
        the pipeline forwards (an upper bound: the downstream may have consumed some), so the guard acts
        at once rather than one measurement late."""
        if self.last_backlog is not None and count:
            self.last_backlog += count
            self._judge_backlog(self.last_backlog)

    def _judge_backlog(self, backlog: int) -> None:
        if not self.max_backlog:
            self._backlog = BackpressureLevel.OK
        elif backlog >= self.max_backlog:
            self._backlog = BackpressureLevel.HARD
        elif backlog >= self.max_backlog * SOFT_BACKLOG_FRACTION:
            self._backlog = BackpressureLevel.SOFT
        else:
            self._backlog = BackpressureLevel.OK

    def _expire(self, now: float) -> None:
        cutoff = now - self.ttl_s
        for key in [key for key, seen in self._coordinators.items() if seen.at < cutoff]:
            del self._coordinators[key]

    def level(self, now: float) -> BackpressureLevel:
        """The worst unexpired coordinator level, or the backlog guard's if worse."""
        self._expire(now)
        worst = self._backlog
        for seen in self._coordinators.values():
            if _RANK[seen.level] > _RANK[worst]:
                worst = seen.level
        return worst

    def coordinators(self, now: float) -> dict[str, str]:
        """Unexpired coordinators and their levels (for /health)."""
        self._expire(now)
        return {key: str(seen.level) for key, seen in self._coordinators.items()}

    def batch_size(self, base: int, now: float) -> int:
        """How many messages to read next (halved under soft pressure)."""
        return max(1, base // 2) if self.level(now) == BackpressureLevel.SOFT else base

    def delay_s(self, now: float) -> float:
        """How long to wait before the next batch (only under soft pressure)."""
        return self.soft_delay_s if self.level(now) == BackpressureLevel.SOFT else 0.0


__all__ = ["MAX_COORDINATORS", "SOFT_BACKLOG_FRACTION", "FlowController"]
