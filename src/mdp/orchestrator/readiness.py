"""Go/no-go for warn -> strict, per schema, from the pipelines' ``telemetry.validation`` windows (pure).

Seed 002 (Day 8-9): GO if the failure rate is under 0.5 % for 72 hours, NO-GO over 1 %. Per (track, schema)
the :class:`ValidationLedger` sums what the pipelines report over the window:

* in **warn** mode the rate is ``would_reject / total``: what strict mode *would* have dead-lettered;
* in **strict** mode it is ``failures / total``: what it did dead-letter;
* records of mode ``off`` validate nothing and are ignored (the page still shows them).

Verdicts, compared exactly (fractions, so 5 of 1000 is 0.5 % and not a hair above or below):

* ``GO``: rate < 0.5 % and the telemetry history spans at least ``min_coverage`` of the window;
* ``NO-GO``: rate > 1 %;
* ``HOLD``: anything in between (0.5 % and 1 % included), or under 0.5 % with too short a history;
* ``NO-DATA``: no telemetry in the window, or fewer than ``min_messages`` validated messages.

Blockers from elsewhere (an unreachable registry, an unresolved breaking drift) can only make a verdict
worse. The ledger keeps counts in 60-second buckets by window end, so memory depends on the retention and
the number of schemas, not on how many pipeline instances report. ``now`` is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final

from mdp.contracts.telemetry import ValidationStats
from mdp.orchestrator.durations import format_duration

GO_BELOW: Final = Fraction(1, 200)  # 0.5 %
NO_GO_ABOVE: Final = Fraction(1, 100)  # 1 %
BUCKET_S: Final = 60
MODES: Final = ("warn", "strict", "off")


class Verdict(StrEnum):
    """Readiness of one schema (or of all of them) for strict mode."""

    GO = "GO"
    NO_DATA = "NO-DATA"
    HOLD = "HOLD"
    NO_GO = "NO-GO"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Verdict.GO: 0, Verdict.NO_DATA: 1, Verdict.HOLD: 2, Verdict.NO_GO: 3}


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    return max(verdicts, key=lambda verdict: verdict.rank, default=Verdict.NO_DATA)


@dataclass(frozen=True, slots=True)
class Blocker:
    """A reason from outside the validation counts that caps a verdict (HOLD or NO-GO)."""

    verdict: Verdict
    reason: str


def percent(value: Fraction | float) -> str:
    """``Fraction(1, 200)`` -> ``"0.5%"``; two decimals at most, trailing zeros dropped."""
    text = f"{float(value) * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


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


@dataclass(slots=True)
class _Series:
    buckets: dict[int, list[int]] = field(default_factory=dict)  # bucket -> 9 counters (3 per mode)
    starts: dict[int, float] = field(default_factory=dict)  # bucket -> earliest window_start in it
    services: dict[str, float] = field(default_factory=dict)  # "service/instance" -> last window_end


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
        bucket = int(end // BUCKET_S)
        counters = series.buckets.get(bucket)
        if counters is None:
            counters = series.buckets[bucket] = [0] * 9
        offset = 3 * MODES.index(stats.mode)
        counters[offset] += stats.total
        counters[offset + 1] += stats.failures
        counters[offset + 2] += stats.would_reject
        start = min(stats.window_start, end)
        series.starts[bucket] = min(series.starts.get(bucket, start), start)
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
        dropped = 0
        for key in list(self._series):
            series = self._series[key]
            for bucket in [b for b in series.buckets if b < oldest]:
                del series.buckets[bucket]
                series.starts.pop(bucket, None)
                dropped += 1
            cutoff = now - self.retention_s
            series.services = {name: seen for name, seen in series.services.items() if seen >= cutoff}
            if not series.buckets:
                del self._series[key]
        horizon = now - self._dedupe_horizon_s
        self._seen = {ident: end for ident, end in self._seen.items() if end >= horizon}
        self._instances = {k: v for k, v in self._instances.items() if v.last_seen >= now - self.retention_s}
        return dropped

    def summaries(self, *, now: float, window_s: float) -> list[RateSummary]:
        """Counts per (track, schema) over the buckets ending in ``(now - window_s, now]``."""
        first = int((now - window_s) // BUCKET_S) + 1
        out = []
        for (track, schema), series in sorted(self._series.items()):
            sums = [0] * 9
            for bucket, counters in series.buckets.items():
                if bucket >= first:
                    for index, value in enumerate(counters):
                        sums[index] += value
            counts = {mode: (sums[3 * i], sums[3 * i + 1], sums[3 * i + 2]) for i, mode in enumerate(MODES)}
            since = now - window_s
            services = tuple(sorted(name for name, seen in series.services.items() if seen > since))
            history = min(series.starts.values()) if series.starts else None
            out.append(RateSummary(track, schema, counts, services, history))
        return out

    def instances(self) -> list[InstanceReport]:
        return [self._instances[key] for key in sorted(self._instances)]


@dataclass(frozen=True, slots=True)
class SchemaReadiness:
    summary: RateSummary
    verdict: Verdict
    coverage: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary.to_dict(),
            "verdict": str(self.verdict),
            "coverage": self.coverage,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    verdict: Verdict
    window_s: float
    generated_at: float
    min_messages: int
    min_coverage: float
    schemas: tuple[SchemaReadiness, ...]
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "window": format_duration(self.window_s).replace(" ", ""),
            "window_s": self.window_s,
            "generated_at": self.generated_at,
            "thresholds": {
                "go_below": float(GO_BELOW),
                "no_go_above": float(NO_GO_ABOVE),
                "min_messages": self.min_messages,
                "min_coverage": self.min_coverage,
            },
            "reasons": list(self.reasons),
            "schemas": [schema.to_dict() for schema in self.schemas],
        }


def judge(
    summary: RateSummary, *, now: float, window_s: float, min_messages: int, min_coverage: float
) -> tuple[Verdict, float, list[str]]:
    """The verdict of one schema from its counts alone, its coverage, and why."""
    span = format_duration(window_s)
    history = summary.history_start
    coverage = 0.0 if history is None else min(1.0, max(0.0, (now - history) / window_s))
    rate = summary.rejection_rate
    if rate is None:
        if summary.counts.get("off", (0, 0, 0))[0]:
            return (
                Verdict.NO_DATA,
                coverage,
                ["validation is off (REGISTRY_ENFORCEMENT=off): nothing measured"],
            )
        return Verdict.NO_DATA, coverage, [f"no validation telemetry in the last {span}"]
    if summary.measured < min_messages:
        reason = f"only {summary.measured} message(s) validated in the last {span}; {min_messages} needed"
        return Verdict.NO_DATA, coverage, [reason]
    what = f"reject rate {percent(rate)} ({summary.rejected} of {summary.measured})"
    if rate > NO_GO_ABOVE:
        return Verdict.NO_GO, coverage, [f"{what} is above the {percent(NO_GO_ABOVE)} NO-GO threshold"]
    if rate >= GO_BELOW:
        band = f"between {percent(GO_BELOW)} (GO below) and {percent(NO_GO_ABOVE)} (NO-GO above)"
        return Verdict.HOLD, coverage, [f"{what} is {band}"]
    if coverage < min_coverage:
        covered = format_duration(coverage * window_s)
        reason = (
            f"{what} is under {percent(GO_BELOW)}, but telemetry only covers {covered} of the {span} window"
        )
        return Verdict.HOLD, coverage, [reason]
    return Verdict.GO, coverage, [f"{what} is under {percent(GO_BELOW)} over {span}"]


def evaluate(
    summaries: Sequence[RateSummary],
    *,
    now: float,
    window_s: float,
    min_messages: int,
    min_coverage: float,
    blockers: Mapping[tuple[str, str], Sequence[Blocker]] | None = None,
    global_blockers: Sequence[Blocker] = (),
) -> ReadinessReport:
    """Per-schema verdicts, capped by ``blockers``, and the overall one (worst; GO only if all GO)."""
    blockers = blockers or {}
    by_key = {(s.track, s.schema): s for s in summaries}
    for key in blockers:
        by_key.setdefault(key, RateSummary(key[0], key[1], {}, (), None))
    results = []
    for key in sorted(by_key):
        verdict, coverage, reasons = judge(
            by_key[key], now=now, window_s=window_s, min_messages=min_messages, min_coverage=min_coverage
        )
        for blocker in blockers.get(key, ()):
            verdict = worst((verdict, blocker.verdict))
            reasons.append(blocker.reason)
        results.append(SchemaReadiness(by_key[key], verdict, coverage, tuple(reasons)))
    verdicts = [result.verdict for result in results]
    overall_reasons = [blocker.reason for blocker in global_blockers]
    overall_reasons += [
        f"{r.summary.track}/{r.summary.schema}: {r.verdict}: {'; '.join(r.reasons)}"
        for r in results
        if r.verdict != Verdict.GO
    ]
    if not results:
        overall_reasons.append(f"no validation telemetry in the last {format_duration(window_s)}")
    if Verdict.NO_GO in verdicts or any(b.verdict == Verdict.NO_GO for b in global_blockers):
        overall = Verdict.NO_GO
    elif results and all(v == Verdict.GO for v in verdicts) and not global_blockers:
        overall = Verdict.GO
    elif all(v == Verdict.NO_DATA for v in verdicts) and not global_blockers:
        overall = Verdict.NO_DATA
    else:
        overall = Verdict.HOLD
    return ReadinessReport(
        overall, window_s, now, min_messages, min_coverage, tuple(results), tuple(overall_reasons)
    )


__all__ = [
    "BUCKET_S",
    "GO_BELOW",
    "NO_GO_ABOVE",
    "Blocker",
    "InstanceReport",
    "RateSummary",
    "ReadinessReport",
    "SchemaReadiness",
    "ValidationLedger",
    "Verdict",
    "evaluate",
    "judge",
    "percent",
    "worst",
]
