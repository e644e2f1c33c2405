"""Everything the orchestrator knows, and how one telemetry event changes it (pure).

:class:`OrchestratorState` routes a decoded event to the drift aggregator, the validation ledger or the
feedback board after checking it against its contract (``SchemaDrift``, ``SchemaDriftResolved``,
``ValidationStats``, ``FeedbackEvent``). A payload that breaks its contract is an :class:`Outcome` with an
``error`` (the consumer dead-letters it); one that is valid but changes nothing (a duplicate, a stale
signal) has ``applied=False`` and a ``note``. The readiness blockers that come from drift and registry
health live here too, so the rules sit next to each other. No I/O, no clock: ``now`` is passed in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from mdp.contracts.telemetry import FeedbackEvent, SchemaDrift, SchemaDriftResolved, ValidationStats
from mdp.orchestrator.aggregator import DriftAggregator, Episode
from mdp.orchestrator.backpressure import FeedbackBoard
from mdp.orchestrator.ledger import ValidationLedger
from mdp.orchestrator.readiness import Blocker, ReadinessReport, Verdict, evaluate
from mdp.pulse.streams import FEEDBACK, SCHEMA_DRIFT, SCHEMA_DRIFT_RESOLVED, VALIDATION

CONTRACTS: Mapping[str, type[BaseModel]] = {
    SCHEMA_DRIFT: SchemaDrift,
    SCHEMA_DRIFT_RESOLVED: SchemaDriftResolved,
    VALIDATION: ValidationStats,
    FEEDBACK: FeedbackEvent,
}
STREAMS: tuple[str, ...] = tuple(CONTRACTS)
FEEDBACK_FORGET_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one event did: applied, ignored (``note``), or refused (``error``: dead-letter it)."""

    applied: bool
    note: str = ""
    error: str | None = None
    closed: tuple[Episode, ...] = ()


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ())) or "payload"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


class OrchestratorState:
    """The drift aggregator, the validation ledger and the feedback board, fed one event at a time."""

    def __init__(self, *, validation_retention_s: float, resolved_retention_s: float) -> None:
        self.drift = DriftAggregator()
        self.ledger = ValidationLedger(retention_s=validation_retention_s)
        self.feedback = FeedbackBoard()
        self.resolved_retention_s = resolved_retention_s

    def handle(self, stream: str, event_type: str, payload: Any, *, now: float) -> Outcome:
        """Apply the event of ``event_type`` read from ``stream``."""
        contract = CONTRACTS.get(stream)
        if contract is None:
            return Outcome(False, error=f"the orchestrator does not consume {stream!r}")
        if event_type != stream:
            return Outcome(False, error=f"unexpected event type {event_type!r} on stream {stream!r}")
        try:
            event = contract.model_validate(payload)
        except ValidationError as exc:
            return Outcome(False, error=f"{contract.__name__} contract violated: {_describe(exc)}")
        if isinstance(event, SchemaDrift):
            update = self.drift.apply_drift(event, now=now)
            return Outcome(update.applied, update.reason, closed=update.closed)
        if isinstance(event, SchemaDriftResolved):
            update = self.drift.apply_resolved(event, now=now)
            return Outcome(update.applied, update.reason, closed=update.closed)
        if isinstance(event, ValidationStats):
            note = self.ledger.add(event, now=now)
            return Outcome(note is None, note or "")
        assert isinstance(event, FeedbackEvent)
        note = self.feedback.add(event)
        return Outcome(note is None, note or "")

    def prune(self, *, now: float) -> None:
        """Forget what is past every retention (resolved drift, old validation buckets, silent stores)."""
        self.drift.prune(now=now, retention_s=self.resolved_retention_s)
        self.ledger.prune(now=now)
        self.feedback.prune(now=now, forget_after_s=FEEDBACK_FORGET_S)

    def drift_blockers(self) -> dict[tuple[str, str], list[Blocker]]:
        """Unresolved drift caps readiness (seed 002: "unresolved schema issues" is a NO-GO).

        Breaking drift is a NO-GO, unclassified drift a HOLD; safe and docs-only drift do not block.
        """
        out: dict[tuple[str, str], list[Blocker]] = defaultdict(list)
        for state in self.drift.active():
            key = (state.key.track, state.key.schema)
            if state.classification == "breaking":
                reason = f"unresolved breaking drift in {state.key.repo}"
                out[key].append(Blocker(Verdict.NO_GO, reason))
            elif state.classification == "unknown":
                reason = f"unresolved unclassified drift in {state.key.repo}"
                out[key].append(Blocker(Verdict.HOLD, reason))
        return dict(out)

    def readiness(
        self,
        *,
        now: float,
        window_s: float,
        min_messages: int,
        min_coverage: float,
        registry_enabled: bool,
        registry_up: bool | None,
    ) -> ReadinessReport:
        """The go/no-go over ``window_s`` with drift and registry blockers applied."""
        return evaluate(
            self.ledger.summaries(now=now, window_s=window_s),
            now=now,
            window_s=window_s,
            min_messages=min_messages,
            min_coverage=min_coverage,
            blockers=self.drift_blockers(),
            global_blockers=registry_blockers(enabled=registry_enabled, up=registry_up),
        )


def registry_blockers(*, enabled: bool, up: bool | None) -> list[Blocker]:
    """Registry health as readiness blockers; ``up=None`` means not checked yet (no verdict either way)."""
    if not enabled:
        return [
            Blocker(Verdict.HOLD, "registry disabled (REGISTRY_ENABLED=false): strict would validate nothing")
        ]
    if up is False:
        return [Blocker(Verdict.NO_GO, "registry unreachable: registry instability is a NO-GO (seed 002)")]
    return []


__all__ = ["CONTRACTS", "STREAMS", "OrchestratorState", "Outcome", "registry_blockers"]
