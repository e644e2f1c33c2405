"""DriftReporter: the seeds' API, metrics, drift / resolved events on a real in-memory bus, fail-open."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import jsonschema_rs
import pytest
from prometheus_client import CollectorRegistry

from mdp.contracts import SchemaDrift, SchemaDriftResolved, compute_sha256
from mdp.contracts.bundled import bundled_schema
from mdp.drift import DriftReporter, SchemaSnapshot
from mdp.drift.compare import DriftStatus, SchemaComparison
from mdp.pulse import Envelope, InMemoryBroker, InMemoryBus, PulseConfig, TelemetryPublisher, shared_broker
from mdp.pulse.streams import SCHEMA_DRIFT, SCHEMA_DRIFT_RESOLVED

LOCAL = {"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": False}
REGISTRY = {
    **LOCAL,
    "properties": {"id": {"type": "string"}, "qty": {"type": "integer"}},
    "required": ["qty"],
}
LOCAL_SHA, REGISTRY_SHA = compute_sha256(LOCAL), compute_sha256(REGISTRY)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FlakyBus(InMemoryBus):
    """An in-memory bus whose publishes fail while ``down`` (fault injection for fail-open tests)."""

    down = False

    async def publish(self, stream: str, envelope: Envelope) -> str:
        if self.down:
            raise ConnectionError("bus is down")
        return await super().publish(stream, envelope)


@pytest.fixture
async def bus() -> AsyncIterator[FlakyBus]:
    async with FlakyBus(broker=InMemoryBroker(), source="test") as opened:
        yield opened


def make_reporter(
    bus: InMemoryBus | None, registry: CollectorRegistry, clock: Clock, **kw: Any
) -> DriftReporter:
    publisher = TelemetryPublisher(bus, source="mdp-store", metrics_registry=registry) if bus else None
    return DriftReporter(repo="mdp-store", publisher=publisher, metrics_registry=registry, clock=clock, **kw)


async def events(bus: InMemoryBus, stream: str = SCHEMA_DRIFT) -> list[dict[str, Any]]:
    return [entry.envelope.payload for entry in await bus.read_range(stream, count=1000) if entry.envelope]


def value(
    registry: CollectorRegistry, name: str, schema: str = "telemetry.FeedbackEvent", **labels: str
) -> float | None:
    base = {"repo": "mdp-store", "track": "v1", "schema": schema}
    return registry.get_sample_value(name, {**base, **labels})


def snapshot(content: Any = LOCAL, version: str | None = "1.0.0") -> SchemaSnapshot:
    return SchemaSnapshot("telemetry.FeedbackEvent", "v1", compute_sha256(content), version, content=content)


SEED_SNIPPET = """
import asyncio
from market_data_store.telemetry.drift_reporter import DriftReporter, SchemaSnapshot
from market_data_store.pulse.config import PulseConfig

async def test():
    config = PulseConfig(enabled=True, backend='inmem')
    reporter = DriftReporter(pulse_config=config)
    await reporter.start()

    snap = SchemaSnapshot('test.schema', 'v1', 'local_hash', '1.0.0')
    await reporter.detect_and_emit_drift(snap, 'registry_hash', '1.1.0')

    await reporter.stop()

asyncio.run(test())
"""


def test_the_seed_snippet_runs_with_mdp_imports_only() -> None:
    code = textwrap.dedent(SEED_SNIPPET)
    code = code.replace("market_data_store.telemetry.drift_reporter", "mdp.drift")
    code = code.replace("market_data_store.pulse.config", "mdp.pulse.config")
    assert code.count("mdp.") == 2, "only the two import lines are adapted"
    before = set(shared_broker().stream(SCHEMA_DRIFT).ids)
    exec(compile(code, "<seed 003 snippet>", "exec"), {"__name__": "seed_snippet"})
    stream = shared_broker().stream(SCHEMA_DRIFT)
    new = [raw for entry_id, raw in zip(stream.ids, stream.raws, strict=True) if entry_id not in before]
    payloads = [Envelope.from_json(raw).payload for raw in new]
    [event] = [payload for payload in payloads if payload["schema"] == "test.schema"]
    assert event["local_sha256"] == "local_hash"
    assert event["registry_sha256"] == "registry_hash"
    assert (event["local_version"], event["registry_version"]) == ("1.0.0", "1.1.0")
    assert event["repo"] == "mdp"
    assert event["classification"] == "unknown", "no contents were given"


def test_the_seed_module_path_exists() -> None:
    from mdp.drift.reporter import DriftReporter as ByModulePath
    from mdp.drift.reporter import SchemaSnapshot as SnapshotByModulePath

    assert ByModulePath is DriftReporter
    assert SnapshotByModulePath is SchemaSnapshot


def test_snapshot_minimal_and_full() -> None:
    minimal = SchemaSnapshot("a.B", "v1", "x")
    assert minimal.version is None
    assert minimal.timestamp > 0
    assert minimal.content is None
    full = SchemaSnapshot("a.B", "v1", "x", "1.0.0", 5.0, content=True)
    assert (full.version, full.timestamp, full.content) == ("1.0.0", 5.0, True)


def test_compute_sha256_is_the_canonical_hash() -> None:
    assert DriftReporter.compute_sha256(LOCAL) == compute_sha256(LOCAL)
    assert DriftReporter.compute_sha256('{"b": 1, "a": 2}') == DriftReporter.compute_sha256({"a": 2, "b": 1})
    assert DriftReporter.compute_sha256({"a": 1}) != DriftReporter.compute_sha256({"a": 1.5})


async def test_no_drift_when_schemas_match(bus: FlakyBus, metrics_registry: CollectorRegistry) -> None:
    reporter = make_reporter(bus, metrics_registry, Clock())
    assert not await reporter.detect_and_emit_drift(snapshot(), LOCAL_SHA, "1.0.0")
    assert await events(bus) == []
    assert value(metrics_registry, "schema_drift_total") is None
    assert reporter.get_last_drift_time("telemetry.FeedbackEvent") is None


async def test_drift_records_metrics_and_publishes_a_contract_event(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    clock = Clock()
    reporter = make_reporter(bus, metrics_registry, clock)
    drifted = await reporter.detect_and_emit_drift(
        snapshot(), REGISTRY_SHA, "2.0.0", registry_content=REGISTRY
    )
    assert drifted
    assert value(metrics_registry, "schema_drift_total") == 1
    assert value(metrics_registry, "schema_drift_last_detected_timestamp") == clock.now
    assert value(metrics_registry, "schema_drift_active") == 1
    [event] = await events(bus)
    validator = jsonschema_rs.validator_for(bundled_schema("v1", "telemetry.SchemaDrift"))
    assert validator.is_valid(event), "the wire payload follows the bundled telemetry.SchemaDrift schema"
    parsed = SchemaDrift.model_validate(event)
    assert event["schema"] == "telemetry.FeedbackEvent"
    assert (parsed.repo, parsed.track, parsed.status) == ("mdp-store", "v1", "drift")
    assert (parsed.local_sha256, parsed.local_version) == (LOCAL_SHA, "1.0.0")
    assert (parsed.registry_sha256, parsed.registry_version) == (REGISTRY_SHA, "2.0.0")
    assert parsed.detected_at == clock.now
    assert parsed.classification == "breaking"
    assert any(change.breaking and change.path.endswith("qty") for change in parsed.changes)
    assert reporter.get_last_drift_time("telemetry.FeedbackEvent") == clock.now
    assert reporter.get_last_drift_time("v1:telemetry.FeedbackEvent") == clock.now
    assert reporter.get_last_drift_time("v2:telemetry.FeedbackEvent") is None


async def test_persisting_drift_is_counted_once_and_re_published_as_a_heartbeat(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    clock = Clock()
    reporter = make_reporter(bus, metrics_registry, clock, heartbeat_seconds=600)
    for _ in range(3):
        await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")
        clock.now += 60
    assert value(metrics_registry, "schema_drift_total") == 1
    assert len(await events(bus)) == 1
    assert value(metrics_registry, "schema_drift_last_detected_timestamp") == clock.now - 60
    clock.now += 600
    await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")
    assert len(await events(bus)) == 2, "heartbeat after heartbeat_seconds"
    assert value(metrics_registry, "schema_drift_total") == 1


async def test_a_new_registry_sha_is_a_new_drift(bus: FlakyBus, metrics_registry: CollectorRegistry) -> None:
    reporter = make_reporter(bus, metrics_registry, Clock())
    await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")
    await reporter.detect_and_emit_drift(snapshot(), "c" * 64, "3.0.0")
    assert value(metrics_registry, "schema_drift_total") == 2
    published = await events(bus)
    assert [event["registry_sha256"] for event in published] == [REGISTRY_SHA, "c" * 64]


async def test_a_better_classification_is_re_published_without_counting(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    reporter = make_reporter(bus, metrics_registry, Clock(), heartbeat_seconds=0)
    await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")  # registry content not at hand
    await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")
    await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0", registry_content=REGISTRY)
    assert [event["classification"] for event in await events(bus)] == ["unknown", "breaking"]
    assert value(metrics_registry, "schema_drift_total") == 1


async def test_back_in_sync_publishes_one_resolution(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    clock = Clock()
    reporter = make_reporter(bus, metrics_registry, clock)
    await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")
    started = clock.now
    clock.now += 120
    synced = snapshot(REGISTRY, "2.0.0")
    assert not await reporter.detect_and_emit_drift(synced, REGISTRY_SHA, "2.0.0")
    assert not await reporter.detect_and_emit_drift(synced, REGISTRY_SHA, "2.0.0")
    [resolved] = await events(bus, SCHEMA_DRIFT_RESOLVED)
    parsed = SchemaDriftResolved.model_validate(resolved)
    assert resolved["schema"] == "telemetry.FeedbackEvent"
    assert (parsed.sha256, parsed.version) == (REGISTRY_SHA, "2.0.0")
    assert (parsed.drift_started_at, parsed.resolved_at) == (started, clock.now)
    assert value(metrics_registry, "schema_drift_active") == 0
    assert reporter.active_drifts() == {}
    assert reporter.get_last_drift_time("telemetry.FeedbackEvent") == started, "kept after resolution"


async def test_missing_in_registry_is_a_drift_event(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    reporter = make_reporter(bus, metrics_registry, Clock())
    assert await reporter.detect_and_emit_drift(snapshot(), None)
    [event] = await events(bus)
    assert event["status"] == "missing_in_registry"
    assert event["registry_sha256"] is None
    assert event["classification"] == "unknown"


async def test_missing_locally_is_not_a_drift_and_resolves_a_known_one(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    reporter = make_reporter(bus, metrics_registry, Clock())
    gone = SchemaComparison("x.Gone", DriftStatus.MISSING_LOCALLY, registry_sha256=REGISTRY_SHA)
    assert not await reporter.report("v1", gone)
    assert await events(bus) == []
    drift = SchemaComparison(
        "x.Gone", DriftStatus.DRIFT, local_sha256=LOCAL_SHA, registry_sha256=REGISTRY_SHA
    )
    await reporter.report("v1", drift)
    await reporter.report("v1", gone)
    [resolved] = await events(bus, SCHEMA_DRIFT_RESOLVED)
    assert resolved["sha256"] == REGISTRY_SHA


async def test_telemetry_failures_are_counted_and_retried_never_raised(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    clock = Clock()
    reporter = make_reporter(bus, metrics_registry, clock, heartbeat_seconds=0)
    bus.down = True
    assert await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")
    failures = {"repo": "mdp-store", "stream": SCHEMA_DRIFT}
    assert metrics_registry.get_sample_value("drift_telemetry_failures_total", failures) == 1
    assert metrics_registry.get_sample_value("pulse_publish_failures_total", {"stream": SCHEMA_DRIFT}) == 1
    assert value(metrics_registry, "schema_drift_total") == 1, "the drift itself is recorded"
    bus.down = False
    await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA, "2.0.0")
    assert len(await events(bus)) == 1, "the unsent event is published at the next detection"
    assert value(metrics_registry, "schema_drift_total") == 1
    bus.down = True
    await reporter.detect_and_emit_drift(snapshot(REGISTRY), REGISTRY_SHA, "2.0.0")  # resolved, not sent
    bus.down = False
    await reporter.detect_and_emit_drift(snapshot(REGISTRY), REGISTRY_SHA, "2.0.0")
    assert len(await events(bus, SCHEMA_DRIFT_RESOLVED)) == 1, "the unsent resolution is retried"
    resolved_failures = {"repo": "mdp-store", "stream": SCHEMA_DRIFT_RESOLVED}
    assert metrics_registry.get_sample_value("drift_telemetry_failures_total", resolved_failures) == 1


async def test_an_event_that_breaks_the_contract_is_counted_not_raised(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    reporter = DriftReporter(
        repo="r" * 300,
        publisher=TelemetryPublisher(bus, source="x"),
        metrics_registry=metrics_registry,
    )
    assert await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA)
    assert await events(bus) == []
    labels = {"repo": "r" * 300, "stream": SCHEMA_DRIFT}
    assert metrics_registry.get_sample_value("drift_telemetry_failures_total", labels) == 1


async def test_pulse_disabled_records_metrics_only(metrics_registry: CollectorRegistry) -> None:
    reporter = DriftReporter(PulseConfig(enabled=False), repo="mdp-store", metrics_registry=metrics_registry)
    await reporter.start()
    assert not reporter.publishing
    assert await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA)
    await reporter.stop()
    assert value(metrics_registry, "schema_drift_total") == 1
    labels = {"repo": "mdp-store", "stream": SCHEMA_DRIFT}
    assert metrics_registry.get_sample_value("drift_telemetry_failures_total", labels) is None


async def test_without_pulse_config_nothing_is_published() -> None:
    reporter = DriftReporter()
    assert not reporter.publishing
    assert await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA)
    assert (
        reporter.metrics_registry.get_sample_value(
            "schema_drift_total", {"repo": "mdp", "track": "v1", "schema": "telemetry.FeedbackEvent"}
        )
        == 1
    )


async def test_start_and_stop_are_idempotent_and_own_the_bus(metrics_registry: CollectorRegistry) -> None:
    reporter = DriftReporter(
        PulseConfig(enabled=True, backend="inmem", prefix="t-idem:"), metrics_registry=metrics_registry
    )
    await reporter.start()
    await reporter.start()
    assert await reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA)
    await reporter.stop()
    await reporter.stop()
    # after stop the owned bus is closed: a later detection is still recorded and never raises
    published = metrics_registry.get_sample_value("pulse_published_total", {"stream": SCHEMA_DRIFT})
    assert published == 1
    async with reporter:
        await reporter.detect_and_emit_drift(snapshot(), "d" * 64)


async def test_announce_synced_and_check_metrics(bus: FlakyBus, metrics_registry: CollectorRegistry) -> None:
    clock = Clock()
    reporter = make_reporter(bus, metrics_registry, clock)
    synced = SchemaComparison("x.A", DriftStatus.SYNCED, LOCAL_SHA, "1.0.0", LOCAL_SHA, "1.0.0")
    assert await reporter.announce_synced("v1", synced)
    drift = SchemaComparison("x.A", DriftStatus.DRIFT, LOCAL_SHA, None, REGISTRY_SHA, "2.0.0")
    assert not await reporter.announce_synced("v1", drift)
    [resolved] = await events(bus, SCHEMA_DRIFT_RESOLVED)
    assert resolved["drift_started_at"] is None
    assert resolved["sha256"] == LOCAL_SHA
    reporter.check_succeeded("v1")
    reporter.check_failed("v1", "connect")
    labels = {"repo": "mdp-store", "track": "v1"}
    assert metrics_registry.get_sample_value("schema_drift_check_last_success_timestamp", labels) == clock.now
    assert (
        metrics_registry.get_sample_value(
            "schema_drift_check_failures_total", {**labels, "reason": "connect"}
        )
        == 1
    )


async def test_concurrent_reports_of_one_schema_count_once(
    bus: FlakyBus, metrics_registry: CollectorRegistry
) -> None:
    reporter = make_reporter(bus, metrics_registry, Clock())
    await asyncio.gather(*(reporter.detect_and_emit_drift(snapshot(), REGISTRY_SHA) for _ in range(10)))
    assert value(metrics_registry, "schema_drift_total") == 1
    assert len(await events(bus)) == 1


def test_metrics_are_shared_per_registry(metrics_registry: CollectorRegistry) -> None:
    first = DriftReporter(metrics_registry=metrics_registry)
    second = DriftReporter(metrics_registry=metrics_registry, repo="other")
    assert first.metrics is second.metrics
