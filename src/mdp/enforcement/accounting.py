"""What the enforcer reports about each batch: metrics, windowed stats and rate-limited log lines.

Everything here runs once per batch with plain-int counts gathered by the hot loop, so a batch of 1000
messages costs a handful of ``inc(n)`` calls, one stats update and at most one log line per schema per
``log_interval`` seconds (the line says how many failures it stands for).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from mdp.contracts.telemetry import ValidationStats
from mdp.enforcement.metrics import EnforcementMetrics
from mdp.enforcement.model import Ruling, SchemaRef
from mdp.enforcement.policy import OUTCOMES, Decision, Mode, Outcome, would_reject
from mdp.enforcement.stats import StatsWindow
from mdp.enforcement.throttle import LogThrottle

logger = logging.getLogger("mdp.enforcement")

_WOULD_REJECT = frozenset(outcome for outcome in OUTCOMES if would_reject(outcome))


class Accounting:
    """Counts batches into the metrics and the stats window, and logs their failures (throttled)."""

    def __init__(
        self,
        metrics: EnforcementMetrics,
        stats: StatsWindow,
        *,
        clock: Callable[[], float],
        log_interval: float = 1.0,
        log_failures: bool = True,
    ) -> None:
        self.metrics = metrics
        self.stats = stats
        self._clock = clock
        self._throttle = LogThrottle(log_interval)
        self._log = log_failures
        self._dlq_depths: dict[str, int] = {}

    def skipped(self, ruling: Ruling, count: int) -> None:
        """``count`` messages were forwarded without validation (mode off or registry disabled)."""
        self.metrics.action(ruling.action, ruling.severity).inc(count)
        self.metrics.processed_total.inc(count)

    def record(
        self,
        label: SchemaRef,
        mode: Mode,
        decisions: Mapping[Outcome, Decision],
        count: int,
        failed: list[Ruling],
    ) -> None:
        """A validated batch of ``count`` messages; ``failed`` holds the rulings of those not valid."""
        metrics = self.metrics
        counters = metrics.schema_counters(label.track, label.name, mode)
        by_outcome: dict[Outcome, int] = {}
        for ruling in failed:
            outcome = ruling.outcome
            assert outcome is not None
            by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
        valid = count - len(failed)
        if valid:
            by_outcome["valid"] = valid
        rejectable = 0
        for outcome, n in by_outcome.items():
            counters.results[outcome].inc(n)
            decision = decisions[outcome]
            metrics.action(decision.action, decision.severity).inc(n)
            if outcome in _WOULD_REJECT:
                rejectable += n
        if failed:
            counters.failures.inc(len(failed))
        if rejectable and counters.would_reject is not None:
            counters.would_reject.inc(rejectable)
        metrics.processed_total.inc(count)
        self.stats.add(counters.track, counters.schema, mode, count, len(failed), rejectable)
        if failed and self._log:
            self._log_failures(label, mode, count, failed, by_outcome)

    def _log_failures(
        self, label: SchemaRef, mode: Mode, count: int, failed: list[Ruling], by_outcome: dict[Outcome, int]
    ) -> None:
        first = failed[0]
        suppressed = self._throttle.allow(
            (label.track, label.name, first.severity), self._clock(), len(failed)
        )
        if suppressed is None:
            return
        errors = [f"{issue.path or '(root)'}: {issue.message}" for issue in first.errors[:3]]
        routed = "dead-lettered" if first.action == "dead_letter" else "forwarded"
        logger.log(
            logging.ERROR if first.severity == "error" else logging.WARNING,
            "%s for %s (%s mode): %d of %d message(s) %s, %d more since the last report; first: %s",
            first.reason,
            label,
            mode,
            len(failed),
            count,
            routed,
            suppressed,
            "; ".join(errors),
            extra={
                "schema": label.name,
                "track": label.track,
                "sha256": label.sha256,
                "mode": mode,
                "failures": len(failed),
                "batch_size": count,
                "outcomes": {outcome: n for outcome, n in by_outcome.items() if outcome != "valid"},
                "suppressed": suppressed,
                "first_errors": errors,
            },
        )

    def set_dlq_depth(self, stream: str, depth: int) -> None:
        self._dlq_depths[stream] = depth
        self.metrics.set_dlq_depth(stream, depth)

    def drain(self, now: float) -> list[ValidationStats]:
        depth = sum(self._dlq_depths.values()) if self._dlq_depths else None
        return self.stats.drain(now, dlq_depth=depth)


__all__ = ["Accounting"]
