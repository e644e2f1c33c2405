"""Validation telemetry kept for readiness: ``ValidationStats`` summed per (track, schema) and minute (pure).

Pipelines publish one ``ValidationStats`` per (track, schema, mode) every minute or so. The ledger adds each
record into the one-minute bucket of its ``window_end`` and keeps, per (track, schema), *cumulative* counters
over the buckets in time order (``array('q')``, eight bytes per counter). The counts of any window are then
one subtraction per counter after a binary search, so a 72-hour readiness check (which every ``/metrics``
scrape also computes) costs the same with one pipeline or fifty, one day of history or eight. A late record
for an older minute adds to the buckets after it (rare, and short: late by seconds, not days).

Duplicates (a redelivered record, a replayed stream overlapping the live one) are recognised by the
record's identity within ``dedupe_horizon_s``. Buckets older than ``retention_s`` are dropped by
:meth:`ValidationLedger.prune`. ``now`` is always passed in.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from mdp.contracts.telemetry import ValidationStats

BUCKET_S: Final = 60
MODES: Final = ("warn", "strict", "off")
_COUNTERS: Final = 3 * len(MODES)  # (total, failures, would_reject) per mode


@dataclass(frozen=True, slots=True)
class RateSummary:
    """Validation counts of one (track, schema) over a window, per mode."""

    track: str
    schema: str
    counts: Mapping[str, tuple[int, int, int]]  # mode -> (total, failures, would_reject)
    services: tuple[str, ...]
    history_start: float | None  # earliest window_start still retained (for coverage)

    def _mode(self, mode: str) -> tuple[int, int, int]:
        return self.counts.get(mode, (0, 0, 0))

    @property
    def measured(self) -> int:
        """Messages validated in warn or strict mode."""
        return self._mode("warn")[0] + self._mode("strict")[0]

    @property
    def rejected(self) -> int:
        """What strict mode rejects: would_reject in warn, failures in strict."""
        return self._mode("warn")[2] + self._mode("strict")[1]

    @property
    def failures(self) -> int:
        return self._mode("warn")[1] + self._mode("strict")[1]

    @property
    def would_reject(self) -> int:
        return self._mode("warn")[2] + self._mode("strict")[2]

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(mode for mode in MODES if self._mode(mode)[0])

    @property
    def rejection_rate(self) -> Fraction | None:
        return Fraction(self.rejected, self.measured) if self.measured else None

    @property
    def failure_rate(self) -> float | None:
        return self.failures / self.measured if self.measured else None

    @property
    def would_reject_rate(self) -> float | None:
        total, _, would_reject = self._mode("warn")
        return would_reject / total if total else None

    def to_dict(self) -> dict[str, Any]:
        rate = self.rejection_rate
        return {
            "track": self.track,
            "schema": self.schema,
            "total": self.measured,
            "failures": self.failures,
            "would_reject": self.would_reject,
            "rejected": self.rejected,
            "failure_rate": self.failure_rate,
            "would_reject_rate": self.would_reject_rate,
            "rejection_rate": float(rate) if rate is not None else None,
            "modes": list(self.modes),
            "off_total": self._mode("off")[0],
            "services": list(self.services),
        }


class _Series:
    """Cumulative counters of one (track, schema) over its minute buckets, oldest first."""

    __slots__ = ("base", "buckets", "history_start", "services", "starts", "sums")

    def __init__(self) -> None:
        self.buckets = array("q")  # bucket ids, ascending
        self.sums = [array("q") for _ in range(_COUNTERS)]  # sums[k][i]: counter k up to bucket i
        self.base = [0] * _COUNTERS  # counter values before the first retained bucket (pruned ones)
        self.starts = array("d")  # earliest window_start per bucket
        self.history_start: float | None = None
        self.services: dict[str, float] = {}  # "service/instance" -> last window_end

    def add(self, bucket: int, counts: list[int], start: float) -> None:
        buckets, sums = self.buckets, self.sums
        position = bisect_left(buckets, bucket)
        if position == len(buckets) or buckets[position] != bucket:
            buckets.insert(position, bucket)
            self.starts.insert(position, start)
            for k in range(_COUNTERS):
                sums[k].insert(position, sums[k][position - 1] if position else self.base[k])
        elif start < self.starts[position]:
            self.starts[position] = start
        for k, value in enumerate(counts):
            if value:
                column = sums[k]
                for index in range(position, len(column)):
                    column[index] += value
        if self.history_start is None or start < self.history_start:
            self.history_start = start

    def since(self, first_bucket: int) -> list[int]:
        """Counter totals over the buckets >= ``first_bucket``."""
        position = bisect_left(self.buckets, first_bucket)
        if position == len(self.buckets):
            return [0] * _COUNTERS
        if position == 0:
            return [column[-1] - self.base[k] for k, column in enumerate(self.sums)]
        return [column[-1] - column[position - 1] for column in self.sums]

    def drop_before(self, oldest_bucket: int) -> int:
        position = bisect_left(self.buckets, oldest_bucket)
        if position:
            self.base = [column[position - 1] for column in self.sums]
            del self.buckets[:position], self.starts[:position]
            for column in self.sums:
                del column[:position]
            self.history_start = min(self.starts) if self.starts else None
        return position


@dataclass(frozen=True, slots=True)
class InstanceReport:
    """The latest a pipeline instance said about itself (for the page's DLQ panel)."""

    service: str
    instance: str
    last_seen: float
    dlq_depth: int | None
    dlq_at: float | None


class ValidationLedger:
    """Deduplicated, bucketed ``ValidationStats`` per (track, schema), kept for ``retention_s``."""

    def __init__(
        self, *, retention_s: float, dedupe_horizon_s: float = 6 * 3600, max_series: int = 5_000
    ) -> None:
        if retention_s <= 0 or dedupe_horizon_s <= 0:
            raise ValueError("retention_s and dedupe_horizon_s must be > 0")
        self.retention_s = retention_s
        self._dedupe_horizon_s = dedupe_horizon_s
        self._max_series = max_series
        self._series: dict[tuple[str, str], _Series] = {}
        self._seen: dict[tuple[Any, ...], float] = {}  # record identity -> window_end
        self._instances: dict[tuple[str, str], InstanceReport] = {}

    def add(self, stats: ValidationStats, *, now: float) -> str | None:
        """Count one record; returns why it was ignored (duplicate, too old, too many series) or None."""
        ident = (
            stats.service,
            stats.instance,
            stats.track,
            stats.schema_,
            stats.mode,
            stats.window_start,
            stats.window_end,
        )
        if ident in self._seen:
            return "duplicate"
        end = min(stats.window_end, now)
        if end < now - self.retention_s:
            return "older than the retention"
        key = (stats.track, stats.schema_)
        series = self._series.get(key)
        if series is None:
            if len(self._series) >= self._max_series:
                return f"too many (track, schema) series (limit {self._max_series})"
            series = self._series[key] = _Series()
        self._seen[ident] = end
        counts = [0] * _COUNTERS
        offset = 3 * MODES.index(stats.mode)
        counts[offset : offset + 3] = [stats.total, stats.failures, stats.would_reject]
        series.add(int(end // BUCKET_S), counts, min(stats.window_start, end))
        name = f"{stats.service}/{stats.instance}"
        series.services[name] = max(series.services.get(name, end), end)
        self._note_instance(stats, end)
        return None

    def _note_instance(self, stats: ValidationStats, end: float) -> None:
        ident = (stats.service, stats.instance)
        known = self._instances.get(ident)
        if known is not None and known.last_seen > end:
            return
        depth, at = (stats.dlq_depth, end) if stats.dlq_depth is not None else (None, None)
        if depth is None and known is not None:
            depth, at = known.dlq_depth, known.dlq_at
        self._instances[ident] = InstanceReport(stats.service, stats.instance, end, depth, at)

    def prune(self, *, now: float) -> int:
        """Drop buckets past the retention and identities past the dedupe horizon; returns buckets dropped."""
        oldest = int((now - self.retention_s) // BUCKET_S)
        cutoff = now - self.retention_s
        dropped = 0
        for key in list(self._series):
            series = self._series[key]
            dropped += series.drop_before(oldest)
            series.services = {name: seen for name, seen in series.services.items() if seen >= cutoff}
            if not series.buckets:
                del self._series[key]
        horizon = now - self._dedupe_horizon_s
        self._seen = {ident: end for ident, end in self._seen.items() if end >= horizon}
        self._instances = {k: v for k, v in self._instances.items() if v.last_seen >= cutoff}
        return dropped

    def summaries(self, *, now: float, window_s: float) -> list[RateSummary]:
        """Counts per (track, schema) over the minute buckets that start inside ``[now - window_s, now]``."""
        first = math.ceil((now - window_s) / BUCKET_S)
        since = now - window_s
        out = []
        for (track, schema), series in sorted(self._series.items()):
            sums = series.since(first)
            counts = {mode: (sums[3 * i], sums[3 * i + 1], sums[3 * i + 2]) for i, mode in enumerate(MODES)}
            services = tuple(sorted(name for name, seen in series.services.items() if seen > since))
            out.append(RateSummary(track, schema, counts, services, series.history_start))
        return out

    def instances(self) -> list[InstanceReport]:
        return [self._instances[key] for key in sorted(self._instances)]


__all__ = ["BUCKET_S", "MODES", "InstanceReport", "RateSummary", "ValidationLedger"]
