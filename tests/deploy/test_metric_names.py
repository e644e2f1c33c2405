"""The metric-name scanner behind the cross-service check, and what the deploy files use today."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from tests.deploy.metric_names import (
    dashboard_metric_names,
    deploy_metric_names,
    promql_metric_names,
    rule_metric_names,
)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        (
            'sum by (job, instance) (rate(a_total{mode="warn",x=~"p|q"}[5m])) / on (job) group_left(track) b',
            {"a_total", "b"},
        ),
        ("histogram_quantile(0.9, sum by (le) (rate(d_bucket[$__rate_interval])))", {"d_bucket"}),
        ("sum without(i) (c1) + max BY(x)(c2)", {"c1", "c2"}),
        ("time() - max(e) > 30 * 60", {"e"}),
        ("f offset 5m", {"f"}),
        ("vector(0) or g", {"g"}),
        ('h{a="}by(q) {x}"} and i', {"h", "i"}),
        ('count_values("v", j)', {"j"}),
        ('label_replace(k, "dst", "$1", "src", "(.*)")', {"k"}),
        ("topk(3, l) without (inst, job)", {"l"}),
        ("1e3 * m + inf - nan", {"m"}),
        ("n unless ignoring(track) o", {"n", "o"}),
        ("max_over_time((p / q)[72h:5m]) < 0.005", {"p", "q"}),
        ("namespace:metric:rate5m", {"namespace:metric:rate5m"}),
        ("sum(r) BY (job)", {"r"}),
        ("s == bool 1", {"s"}),
        ("${datasource_var} * t", {"t"}),
    ],
)
def test_promql_metric_names(expr: str, names: set[str]) -> None:
    assert promql_metric_names(expr) == names


def test_rules_and_dashboard_name_the_seed_metrics() -> None:
    rules, dashboard = rule_metric_names(), dashboard_metric_names()
    assert {
        *("schema_drift_active_since_timestamp", "schema_drift_total", "schema_registry_up"),
        *("schema_registry_last_sync_timestamp", "schema_dlq_depth", "processed_messages_total"),
    } <= rules
    assert {
        *("schema_drift_active_total", "schema_drift_last_detected_timestamp", "schema_drift_resolved_total"),
        *("schema_drift_duration_seconds_bucket", "schema_registry_up", "schema_dlq_depth"),
    } <= dashboard
    assert deploy_metric_names() == rules | dashboard


def family_sample_names(registry: CollectorRegistry) -> set[str]:
    """Every sample name the registry's families can expose, whether or not a label set exists yet."""
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "summary": ("_sum", "_count"),
    }
    names = set()
    for family in registry.collect():
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


def exported_by_an_orchestrator() -> set[str]:
    """What a real orchestrator app exports once it has seen some telemetry (gauges appear with data)."""
    import time

    from mdp.orchestrator.app import create_app
    from mdp.orchestrator.settings import OrchestratorSettings
    from mdp.pulse import InMemoryBus, streams
    from mdp.settings import load_settings
    from tests.unit.orchestrator.events import drift, feedback, resolved, stats

    registry = CollectorRegistry()
    app = create_app(load_settings(OrchestratorSettings), bus=InMemoryBus(), metrics_registry=registry)
    runtime = app.state.runtime
    now = time.time()
    for stream, event in [
        (streams.SCHEMA_DRIFT, drift(now - 100, repo="a")),
        (streams.SCHEMA_DRIFT, drift(now - 100, repo="b")),
        (streams.SCHEMA_DRIFT_RESOLVED, resolved(now, repo="b")),
        (streams.VALIDATION, stats(now, total=10)),
        (streams.FEEDBACK, feedback(now)),
    ]:
        outcome = runtime.state.handle(stream, stream, event.model_dump(mode="json", by_alias=True), now=now)
        runtime.consumer._metrics.record(stream, outcome)
    return family_sample_names(registry)


def exported_by_the_other_services() -> dict[str, set[str]]:
    """The metric factories the drift reporters/watchers and the pipelines register."""
    from mdp.drift.metrics import drift_metrics
    from mdp.enforcement.metrics import enforcement_metrics

    drift, enforcement = CollectorRegistry(), CollectorRegistry()
    drift_metrics(drift)
    enforcement_metrics(enforcement)
    return {"drift": family_sample_names(drift), "enforcement": family_sample_names(enforcement)}


def test_every_deploy_metric_is_exported_by_some_mdp_component() -> None:
    orchestrator = exported_by_an_orchestrator()
    others = exported_by_the_other_services()
    missing = deploy_metric_names() - orchestrator - set().union(*others.values())
    assert missing == set(), f"no mdp component exports {sorted(missing)}"
    # The seed's split: drift counters come from the reporters, drift aggregates from the orchestrator.
    assert {"schema_drift_total", "schema_drift_check_last_success_timestamp"} <= others["drift"]
    assert {"schema_dlq_depth", "processed_messages_total"} <= others["enforcement"]
    assert {"schema_drift_active_total", "schema_drift_resolved_total", "schema_registry_up"} <= orchestrator
