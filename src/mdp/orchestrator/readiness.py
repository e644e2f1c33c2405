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
worse. The counts come from :class:`~mdp.orchestrator.ledger.ValidationLedger`. ``now`` is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final

from mdp.orchestrator.durations import format_duration
from mdp.orchestrator.ledger import BUCKET_S, InstanceReport, RateSummary, ValidationLedger

GO_BELOW: Final = Fraction(1, 200)  # 0.5 %
NO_GO_ABOVE: Final = Fraction(1, 100)  # 1 %


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
