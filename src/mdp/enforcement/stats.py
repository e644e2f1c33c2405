"""Windowed validation counts per (track, schema, mode), drained into ``ValidationStats`` telemetry (pure).

The enforcer adds one batch at a time; a caller (the pipeline's telemetry task) periodically calls
:meth:`StatsWindow.drain` with the current time and publishes the records on ``telemetry.validation``.
Each drain closes the window: the next one starts where this one ended. The clock is never read here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mdp.contracts.telemetry import ValidationStats
from mdp.enforcement.policy import Mode


@dataclass(slots=True)
class _Counts:
    total: int = 0
    failures: int = 0
    would_reject: int = 0


class StatsWindow:
    """Counts since the last drain, keyed by (track, schema, mode) so a mode switch splits the window."""

    def __init__(self, *, service: str, instance: str, started_at: float) -> None:
        self.service = service
        self.instance = instance
        self.window_start = started_at
        self._counts: dict[tuple[str, str, Mode], _Counts] = {}

    def add(self, track: str, schema: str, mode: Mode, total: int, failures: int, would_reject: int) -> None:
        key = (track, schema, mode)
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = _Counts()
        counts.total += total
        counts.failures += failures
        counts.would_reject += would_reject

    def drain(self, now: float, *, dlq_depth: int | None = None) -> list[ValidationStats]:
        """One record per (track, schema, mode) seen since the last drain, then start a new window at ``now``.

        Tracks must match the telemetry contract (``v<N>``): the enforcer only counts tracks it validated.
        """
        start = min(self.window_start, now)
        counts, self._counts = self._counts, {}
        self.window_start = now
        return [
            ValidationStats(
                service=self.service,
                instance=self.instance,
                schema_=schema,
                track=track,
                mode=mode,
                window_start=start,
                window_end=now,
                total=value.total,
                failures=value.failures,
                would_reject=value.would_reject,
                dlq_depth=dlq_depth,
            )
            for (track, schema, mode), value in sorted(counts.items())
            if value.total
        ]

    def pending(self) -> dict[tuple[str, str, Mode], tuple[int, int, int]]:
        """The counts of the open window (total, failures, would_reject), without draining."""
        return {key: (c.total, c.failures, c.would_reject) for key, c in self._counts.items()}


__all__ = ["StatsWindow"]
