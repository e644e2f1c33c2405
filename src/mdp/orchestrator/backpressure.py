"""The latest backpressure signal of every store coordinator, from ``telemetry.feedback`` (pure).

Each ``FeedbackEvent`` replaces the previous one of its coordinator only if it is newer (``ts``), so a
redelivered or late event never rolls the level back. Coordinators silent for ``stale_after_s`` are shown
as stale; after ``forget_after_s`` they are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from mdp.contracts.telemetry import FeedbackEvent

LEVELS: Final = {"ok": 0, "soft": 1, "hard": 2}


@dataclass(frozen=True, slots=True)
class CoordinatorStatus:
    event: FeedbackEvent
    age_s: float
    stale: bool

    @property
    def level_value(self) -> int:
        return LEVELS.get(str(self.event.level), 0)

    def to_dict(self) -> dict[str, Any]:
        event = self.event
        return {
            "coordinator_id": event.coordinator_id,
            "level": str(event.level),
            "level_value": self.level_value,
            "utilization": event.utilization,
            "queue_size": event.queue_size,
            "capacity": event.capacity,
            "source": event.source,
            "reason": event.reason,
            "ts": event.ts,
            "age_s": self.age_s,
            "stale": self.stale,
        }


class FeedbackBoard:
    """Latest ``FeedbackEvent`` per coordinator id."""

    def __init__(self, *, max_coordinators: int = 1_000) -> None:
        self._latest: dict[str, FeedbackEvent] = {}
        self._max = max_coordinators

    def add(self, event: FeedbackEvent) -> str | None:
        """Keep ``event`` if it is the coordinator's newest; returns why it was ignored, or None."""
        known = self._latest.get(event.coordinator_id)
        if known is not None and known.ts >= event.ts:
            return "not newer than the coordinator's last signal"
        if known is None and len(self._latest) >= self._max:
            return f"too many coordinators (limit {self._max})"
        self._latest[event.coordinator_id] = event
        return None

    def prune(self, *, now: float, forget_after_s: float) -> list[str]:
        gone = [cid for cid, event in self._latest.items() if event.ts < now - forget_after_s]
        for cid in gone:
            del self._latest[cid]
        return gone

    def statuses(self, *, now: float, stale_after_s: float) -> list[CoordinatorStatus]:
        out = []
        for cid in sorted(self._latest):
            event = self._latest[cid]
            age = max(0.0, now - event.ts)
            out.append(CoordinatorStatus(event, age, age > stale_after_s))
        return out


__all__ = ["LEVELS", "CoordinatorStatus", "FeedbackBoard"]
