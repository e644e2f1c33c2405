"""Routing telemetry to the state: contracts enforced, wrong types refused, drift and registry blockers."""

from __future__ import annotations

from typing import Any

import pytest

from mdp.orchestrator.readiness import Verdict
from mdp.orchestrator.state import OrchestratorState, registry_blockers
from mdp.pulse import streams

from .events import drift, feedback, resolved, stats

NOW = 1_800_000_000.0
DAY = 86_400.0


@pytest.fixture
def state() -> OrchestratorState:
    return OrchestratorState(validation_retention_s=8 * DAY, resolved_retention_s=DAY)


def payload(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def test_each_stream_reaches_its_part(state: OrchestratorState) -> None:
    assert state.handle(
        streams.SCHEMA_DRIFT, streams.SCHEMA_DRIFT, payload(drift(NOW - 100)), now=NOW
    ).applied
    assert state.handle(
        streams.VALIDATION, streams.VALIDATION, payload(stats(NOW - 5, total=9)), now=NOW
    ).applied
    assert state.handle(
        streams.FEEDBACK, streams.FEEDBACK, payload(feedback(NOW - 1, level="soft")), now=NOW
    ).applied
    done = state.handle(
        streams.SCHEMA_DRIFT_RESOLVED, streams.SCHEMA_DRIFT_RESOLVED, payload(resolved(NOW - 10)), now=NOW
    )
    assert done.applied
    assert [episode.duration_s for episode in done.closed] == [90.0]
    assert [s.summary.measured for s in state.readiness(
        now=NOW, window_s=3600, min_messages=1, min_coverage=0, registry_enabled=True, registry_up=True
    ).schemas] == [9]  # fmt: skip
    assert [s.event.level for s in state.feedback.statuses(now=NOW, stale_after_s=60)] == ["soft"]


@pytest.mark.parametrize(
    ("stream", "body", "fragment"),
    [
        (streams.SCHEMA_DRIFT, {"repo": "x"}, "SchemaDrift contract violated"),
        (streams.SCHEMA_DRIFT, [1, 2], "SchemaDrift contract violated"),
        (
            streams.VALIDATION,
            {**payload(stats(NOW, total=1)), "failures": 2},
            "ValidationStats contract violated",
        ),
        (streams.FEEDBACK, {**payload(feedback(NOW)), "extra": 1}, "extra"),
        (streams.SCHEMA_DRIFT_RESOLVED, {**payload(resolved(NOW)), "track": "../v1"}, "track"),
    ],
)
def test_contract_violations_are_errors_to_dead_letter(
    state: OrchestratorState, stream: str, body: Any, fragment: str
) -> None:
    outcome = state.handle(stream, stream, body, now=NOW)
    assert not outcome.applied
    assert outcome.error is not None
    assert fragment in outcome.error


def test_wrong_event_type_or_stream_is_refused(state: OrchestratorState) -> None:
    wrong_type = state.handle(streams.SCHEMA_DRIFT, "md.bar", payload(drift(NOW)), now=NOW)
    assert wrong_type.error == "unexpected event type 'md.bar' on stream 'telemetry.schema_drift'"
    unknown = state.handle("md.bars", "md.bar", {}, now=NOW)
    assert unknown.error == "the orchestrator does not consume 'md.bars'"


def test_ignored_events_say_why(state: OrchestratorState) -> None:
    event = payload(feedback(NOW, level="hard"))
    assert state.handle(streams.FEEDBACK, streams.FEEDBACK, event, now=NOW).applied
    older = state.handle(streams.FEEDBACK, streams.FEEDBACK, payload(feedback(NOW - 5)), now=NOW)
    assert (older.applied, older.error) == (False, None)
    assert "not newer" in older.note
    assert [s.event.level for s in state.feedback.statuses(now=NOW, stale_after_s=60)] == ["hard"]


def test_drift_blockers_by_classification(state: OrchestratorState) -> None:
    for repo, schema, classification in [
        ("store", "md.Bar", "breaking"),
        ("feed", "md.Quote", "unknown"),
        ("docs", "md.Trade", "docs-only"),
        ("safe", "md.Trade", "safe"),
    ]:
        state.handle(
            streams.SCHEMA_DRIFT,
            streams.SCHEMA_DRIFT,
            payload(drift(NOW, repo=repo, schema=schema, classification=classification)),
            now=NOW,
        )
    blockers = state.drift_blockers()
    assert {key: [(b.verdict, b.reason) for b in value] for key, value in blockers.items()} == {
        ("v1", "md.Bar"): [(Verdict.NO_GO, "unresolved breaking drift in store")],
        ("v1", "md.Quote"): [(Verdict.HOLD, "unresolved unclassified drift in feed")],
    }


def test_resolved_drift_no_longer_blocks(state: OrchestratorState) -> None:
    state.handle(
        streams.SCHEMA_DRIFT, streams.SCHEMA_DRIFT, payload(drift(NOW - 10, schema="md.Bar")), now=NOW
    )
    state.handle(
        streams.SCHEMA_DRIFT_RESOLVED,
        streams.SCHEMA_DRIFT_RESOLVED,
        payload(resolved(NOW, schema="md.Bar")),
        now=NOW,
    )
    assert state.drift_blockers() == {}


def test_registry_blockers() -> None:
    assert registry_blockers(enabled=True, up=True) == []
    assert registry_blockers(enabled=True, up=None) == []
    [down] = registry_blockers(enabled=True, up=False)
    assert down.verdict == Verdict.NO_GO
    [disabled] = registry_blockers(enabled=False, up=None)
    assert disabled.verdict == Verdict.HOLD
    assert "REGISTRY_ENABLED=false" in disabled.reason


def test_prune_applies_every_retention(state: OrchestratorState) -> None:
    state.handle(streams.SCHEMA_DRIFT, streams.SCHEMA_DRIFT, payload(drift(NOW - 10)), now=NOW)
    state.handle(
        streams.SCHEMA_DRIFT_RESOLVED, streams.SCHEMA_DRIFT_RESOLVED, payload(resolved(NOW - 5)), now=NOW
    )
    state.handle(streams.FEEDBACK, streams.FEEDBACK, payload(feedback(NOW)), now=NOW)
    state.handle(streams.VALIDATION, streams.VALIDATION, payload(stats(NOW, total=1)), now=NOW)
    later = NOW + 9 * DAY
    state.prune(now=later)
    assert state.drift.states() == []
    assert state.feedback.statuses(now=later, stale_after_s=1) == []
    assert state.ledger.summaries(now=later, window_s=DAY) == []


def test_stale_coordinators_are_marked(state: OrchestratorState) -> None:
    state.feedback.add(feedback(NOW - 300, coordinator="quiet"))
    state.feedback.add(feedback(NOW - 5, coordinator="chatty"))
    marks = {
        s.event.coordinator_id: (s.stale, s.age_s)
        for s in state.feedback.statuses(now=NOW, stale_after_s=120)
    }
    assert marks == {"chatty": (False, 5.0), "quiet": (True, 300.0)}
