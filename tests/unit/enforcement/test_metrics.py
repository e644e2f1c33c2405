"""Metric values, read back from the injected registry; windowed stats; rate-limited failure logs."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry

from mdp.contracts import ValidationStats
from mdp.enforcement import MemorySchemaProvider, SchemaRef, enforcement_metrics
from tests.unit.enforcement.conftest import MakeEnforcer, bar_bytes

BAR = SchemaRef("v1", "md.Bar")


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def mixed_batch() -> list[bytes]:
    """5 valid, 2 invalid, 1 malformed."""
    return [bar_bytes()] * 5 + [bar_bytes(open=-1.0), bar_bytes(timeframe="7m"), b"{oops"]


def test_strict_counts(make_enforcer: MakeEnforcer, metrics_registry: CollectorRegistry) -> None:
    enforcer = make_enforcer(mode="strict")
    enforcer.enforce_batch(mixed_batch(), BAR)
    enforcer.enforce_batch(mixed_batch(), BAR)
    labels = {"schema": "md.Bar", "track": "v1", "mode": "strict"}
    assert sample(metrics_registry, "schema_validation_total", **labels, result="valid") == 10
    assert sample(metrics_registry, "schema_validation_total", **labels, result="invalid") == 4
    assert sample(metrics_registry, "schema_validation_total", **labels, result="malformed") == 2
    assert sample(metrics_registry, "schema_validation_failures_total", **labels) == 6
    assert (
        sample(metrics_registry, "schema_enforcement_actions_total", action="forward", severity="info") == 10
    )
    assert (
        sample(metrics_registry, "schema_enforcement_actions_total", action="dead_letter", severity="error")
        == 6
    )
    assert sample(metrics_registry, "processed_messages_total") == 16
    # would_reject is a warn-mode signal; strict reports real rejections instead.
    assert (
        sample(metrics_registry, "schema_validation_would_reject_total", schema="md.Bar", track="v1") is None
    )


def test_warn_counts_what_strict_would_reject(
    make_enforcer: MakeEnforcer, metrics_registry: CollectorRegistry
) -> None:
    enforcer = make_enforcer(mode="warn")
    enforcer.enforce_batch(mixed_batch(), BAR)
    labels = {"schema": "md.Bar", "track": "v1", "mode": "warn"}
    assert sample(metrics_registry, "schema_validation_failures_total", **labels) == 3
    assert sample(metrics_registry, "schema_validation_would_reject_total", schema="md.Bar", track="v1") == 3
    assert (
        sample(metrics_registry, "schema_enforcement_actions_total", action="forward", severity="warning")
        == 3
    )
    assert (
        sample(metrics_registry, "schema_enforcement_actions_total", action="forward", severity="info") == 5
    )
    assert (
        sample(metrics_registry, "schema_enforcement_actions_total", action="dead_letter", severity="error")
        == 0
    )


def test_skipped_messages_are_processed_but_not_validated(
    make_enforcer: MakeEnforcer, metrics_registry: CollectorRegistry
) -> None:
    make_enforcer(mode="off").enforce_batch(mixed_batch(), BAR)
    assert sample(metrics_registry, "processed_messages_total") == 8
    assert sample(metrics_registry, "schema_enforcement_actions_total", action="skip", severity="info") == 8
    assert (
        sample(
            metrics_registry,
            "schema_validation_total",
            schema="md.Bar",
            track="v1",
            mode="off",
            result="valid",
        )
        is None
    )


def test_unavailable_and_unknown_schemas_are_labelled(
    make_enforcer: MakeEnforcer, metrics_registry: CollectorRegistry
) -> None:
    enforcer = make_enforcer(mode="warn", schemas=MemorySchemaProvider())
    enforcer.enforce_batch([bar_bytes()] * 3, BAR)
    enforcer.enforce_batch([bar_bytes()] * 2, None)
    assert (
        sample(
            metrics_registry,
            "schema_validation_total",
            schema="md.Bar",
            track="v1",
            mode="warn",
            result="schema_unavailable",
        )
        == 3
    )
    assert (
        sample(
            metrics_registry,
            "schema_validation_total",
            schema="(unknown)",
            track="v1",
            mode="warn",
            result="schema_unavailable",
        )
        == 2
    )


def test_label_sets_are_capped(make_enforcer: MakeEnforcer) -> None:
    registry = CollectorRegistry()
    enforcer = make_enforcer(
        mode="warn", schemas=MemorySchemaProvider(), metrics=enforcement_metrics(registry, max_label_sets=2)
    )
    for name in ("a.One", "a.Two", "a.Three", "a.Four"):
        enforcer.enforce_batch([bar_bytes()], {"name": name})
    failures = {
        schema: sample(registry, "schema_validation_failures_total", schema=schema, track="v1", mode="warn")
        for schema in ("a.One", "a.Two", "a.Three", "(other)")
    }
    assert failures == {"a.One": 1, "a.Two": 1, "a.Three": None, "(other)": 2}


def test_gauges(make_enforcer: MakeEnforcer, metrics_registry: CollectorRegistry) -> None:
    enforcer = make_enforcer(mode="warn")
    assert sample(metrics_registry, "schema_enforcement_mode", mode="warn") == 1
    enforcer.mode = "strict"
    assert sample(metrics_registry, "schema_enforcement_mode", mode="warn") == 0
    assert sample(metrics_registry, "schema_enforcement_mode", mode="strict") == 1
    enforcer.enabled = False
    assert sample(metrics_registry, "schema_enforcement_mode", mode="disabled") == 1
    assert sample(metrics_registry, "schema_enforcement_mode", mode="strict") == 0
    enforcer.set_dlq_depth("md.bars.dlq", 42)
    assert sample(metrics_registry, "schema_dlq_depth", stream="md.bars.dlq") == 42


# -- windowed stats ---------------------------------------------------------------------------------------


def test_drain_stats_windows(make_enforcer: MakeEnforcer) -> None:
    enforcer = make_enforcer(mode="warn", started_at=1000.0, service="mdp-pipeline", instance="pipe-1")
    assert enforcer.drain_stats(1005.0) == []  # nothing seen: nothing to report
    enforcer.enforce_batch(mixed_batch(), BAR)
    enforcer.enforce_batch([bar_bytes()] * 2, SchemaRef("v2", "md.Bar"))  # v1 bars fail v2
    enforcer.set_dlq_depth("md.bars.dlq", 7)
    stats = enforcer.drain_stats(1060.0)
    assert stats == [
        ValidationStats(
            service="mdp-pipeline",
            instance="pipe-1",
            schema="md.Bar",
            track="v1",
            mode="warn",
            window_start=1005.0,
            window_end=1060.0,
            total=8,
            failures=3,
            would_reject=3,
            dlq_depth=7,
        ),
        ValidationStats(
            service="mdp-pipeline",
            instance="pipe-1",
            schema="md.Bar",
            track="v2",
            mode="warn",
            window_start=1005.0,
            window_end=1060.0,
            total=2,
            failures=2,
            would_reject=2,
            dlq_depth=7,
        ),
    ]
    assert enforcer.drain_stats(1120.0) == []
    enforcer.enforce_batch([bar_bytes()], BAR)
    enforcer.mode = "strict"
    enforcer.enforce_batch([bar_bytes(open=-2.0)], BAR)
    split = enforcer.drain_stats(1180.0)
    assert [(s.mode, s.total, s.failures, s.would_reject, s.window_start) for s in split] == [
        ("strict", 1, 1, 1, 1120.0),
        ("warn", 1, 0, 0, 1120.0),
    ]


# -- logs -------------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def test_failure_logs_are_rate_limited(make_enforcer: MakeEnforcer, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    enforcer = make_enforcer(mode="warn", clock=clock)
    caplog.set_level(logging.WARNING, logger="mdp.enforcement")
    for _ in range(100):
        enforcer.enforce_batch([bar_bytes(open=-1.0), bar_bytes()], BAR)
        clock.now += 0.001
    assert len(caplog.records) == 1
    first = caplog.records[0]
    assert first.levelno == logging.WARNING
    assert first.schema == "md.Bar"
    assert first.track == "v1"
    assert first.mode == "warn"
    assert first.first_errors == ["/open: -1.0 is less than or equal to the minimum of 0"]  # type: ignore[attr-defined]
    clock.now += 1.0
    enforcer.enforce_batch([bar_bytes(open=-1.0)], BAR)
    assert len(caplog.records) == 2
    assert caplog.records[1].suppressed == 99  # type: ignore[attr-defined]
    assert "99 more since the last report" in caplog.records[1].getMessage()


def test_strict_rejections_log_at_error(
    make_enforcer: MakeEnforcer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mdp.enforcement")
    make_enforcer(mode="strict").enforce_batch([bar_bytes(open=-1.0)], BAR)
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert "dead-lettered" in caplog.records[0].getMessage()


def test_valid_traffic_logs_nothing(make_enforcer: MakeEnforcer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mdp.enforcement")
    enforcer = make_enforcer(mode="strict")
    caplog.clear()
    enforcer.enforce_batch([bar_bytes()] * 50, BAR)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
