"""The runtime drift watcher against a real registry: periodic checks, schema.published triggers (in-memory
and Redis buses), outages that never look synced, and the one-call ``drift_worker`` integration."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from mdp.client import RegistryClient, RegistryUnavailable
from mdp.contracts import SchemaPublished
from mdp.contracts.bundled import bundled_track
from mdp.drift import DriftReporter, DriftSettings, DriftWatcher, check_drift, drift_worker
from mdp.drift.local import load_schema_dir
from mdp.drift.watcher import watcher_group
from mdp.errors import ConfigurationError
from mdp.pulse import Envelope, EventBus, InMemoryBroker, InMemoryBus, TelemetryPublisher
from mdp.pulse.redis import RedisBus
from mdp.pulse.streams import SCHEMA_DRIFT, SCHEMA_DRIFT_RESOLVED, SCHEMA_PUBLISHED
from mdp.settings import MdpSettings, load_settings
from tests.integration.drift.conftest import QUICK, TOKEN, Track, closed, sha, write_schemas
from tests.integration.registry_process import RegistryProcess

pytestmark = [pytest.mark.e2e]

BASE = closed()
OPTIONAL = closed(qty={"type": "integer"})


def client_for(url: str, **kw: Any) -> RegistryClient:
    return RegistryClient(url, retry=QUICK, timeout=5.0, trust_env=False, **kw)


def gauge(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


async def payloads(bus: EventBus, stream: str) -> list[dict[str, Any]]:
    return [entry.envelope.payload for entry in await bus.read_range(stream, count=1000) if entry.envelope]


@pytest.fixture
async def bus() -> AsyncIterator[InMemoryBus]:
    async with InMemoryBus(broker=InMemoryBroker(), source="test") as opened:
        yield opened


def reporter_on(bus: EventBus | None, registry: CollectorRegistry) -> DriftReporter:
    publisher = TelemetryPublisher(bus, source="mdp-store", metrics_registry=registry) if bus else None
    return DriftReporter(repo="mdp-store", publisher=publisher, metrics_registry=registry)


async def until(condition: Any, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_check_once_detects_drift_and_its_resolution(
    track: Track, tmp_path: Path, bus: InMemoryBus, metrics_registry: CollectorRegistry
) -> None:
    track.publish("it.Order", BASE)
    track.publish("it.Order", OPTIONAL)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
    reporter = reporter_on(bus, metrics_registry)
    async with client_for(track.url) as client:
        watcher = DriftWatcher(
            client, reporter, track.name, lambda: load_schema_dir(schemas, track.name).schemas
        )
        result = await watcher.check_once()
        assert result is not None
        assert result.status == "drift"
        labels = {"repo": "mdp-store", "track": track.name}
        assert gauge(metrics_registry, "schema_drift_active", **labels, schema="it.Order") == 1
        assert gauge(metrics_registry, "schema_drift_total", **labels, schema="it.Order") == 1
        assert gauge(metrics_registry, "schema_drift_check_last_success_timestamp", **labels) is not None
        [event] = await payloads(bus, SCHEMA_DRIFT)
        assert (event["classification"], event["local_version"], event["registry_version"]) == (
            "safe",
            "1.0.0",
            "1.1.0",
        )

        await watcher.check_once()  # a persisting drift: no new count, no new event
        assert gauge(metrics_registry, "schema_drift_total", **labels, schema="it.Order") == 1
        assert len(await payloads(bus, SCHEMA_DRIFT)) == 1

        (schemas / "it.Order.json").write_text(json.dumps(OPTIONAL))  # `mdp schemas fetch` would do this
        result = await watcher.check_once()
        assert result is not None
        assert result.status == "synced"
        assert gauge(metrics_registry, "schema_drift_active", **labels, schema="it.Order") == 0
        [resolved] = await payloads(bus, SCHEMA_DRIFT_RESOLVED)
        assert resolved["sha256"] == sha(OPTIONAL)
        assert watcher.checks == 3


async def test_bundled_contracts_are_the_default_local_copies(
    seeded_v1: str, bus: InMemoryBus, metrics_registry: CollectorRegistry
) -> None:
    settings = load_settings(MdpSettings, registry_url=seeded_v1)
    async with client_for(seeded_v1) as client:
        worker = drift_worker(settings, bus, client, metrics_registry, "mdp-pipeline")
        result = await worker.watcher.check_once()
    assert result is not None
    assert result.status == "synced"
    assert result.counts["synced"] == len(bundled_track("v1"))
    assert worker.reporter.repo == "mdp-pipeline"


async def test_an_outage_is_a_failed_check_never_a_synced_one(
    tmp_path: Path, bus: InMemoryBus, metrics_registry: CollectorRegistry
) -> None:
    process = RegistryProcess(tmp_path / "registry", TOKEN)
    process.start()
    try:
        async with client_for(process.url, admin_token=TOKEN) as admin:
            await admin.publish("v1", "it.Order", OPTIONAL)
        schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
        reporter = reporter_on(bus, metrics_registry)
        labels = {"repo": "mdp-store", "track": "v1"}
        async with client_for(process.url, cache_dir=tmp_path / "cache") as client:
            watcher = DriftWatcher(client, reporter, "v1", lambda: load_schema_dir(schemas).schemas)
            assert await watcher.check_once() is not None
            success = gauge(metrics_registry, "schema_drift_check_last_success_timestamp", **labels)
            assert success is not None
            process.stop()
            (schemas / "it.Order.json").write_text(json.dumps(OPTIONAL))  # would be "synced" if believed
            assert client.cache.index("v1") is not None, "the client still has the index cached"
            assert await watcher.check_once() is None
            assert gauge(metrics_registry, "schema_drift_check_last_success_timestamp", **labels) == success
            assert (
                gauge(metrics_registry, "schema_drift_check_failures_total", **labels, reason="connect") == 1
            )
            assert gauge(metrics_registry, "schema_drift_active", **labels, schema="it.Order") == 1, (
                "unchanged"
            )
            assert await payloads(bus, SCHEMA_DRIFT_RESOLVED) == []
            assert watcher.failures == 1
            with pytest.raises(RegistryUnavailable):  # the one-shot check refuses the cached index too
                await check_drift(client, "v1", load_schema_dir(schemas).schemas, now=0.0)
    finally:
        process.stop()


async def test_unknown_track_and_unreadable_local_copies_are_failures(
    track: Track, tmp_path: Path, closed_url: str, metrics_registry: CollectorRegistry
) -> None:
    reporter = reporter_on(None, metrics_registry)
    async with client_for(track.url) as client:
        unknown = DriftWatcher(
            client,
            reporter,
            "v998",
            {
                "it.Order": load_schema_dir(write_schemas(tmp_path / "a", {"it.Order": BASE})).schemas[
                    "it.Order"
                ]
            },
        )
        assert await unknown.check_once() is None
        gone = DriftWatcher(
            client, reporter, track.name, lambda: load_schema_dir(tmp_path / "missing").schemas
        )
        assert await gone.check_once() is None
    labels = {"repo": "mdp-store"}
    assert (
        gauge(
            metrics_registry, "schema_drift_check_failures_total", **labels, track="v998", reason="http_404"
        )
        == 1
    )
    assert (
        gauge(
            metrics_registry, "schema_drift_check_failures_total", **labels, track=track.name, reason="local"
        )
        == 1
    )


async def publish_event(bus: EventBus, track: str, name: str, content: Any, event_id: int = 1) -> None:
    payload = SchemaPublished(
        event_id=event_id,
        track=track,
        name=name,
        version="1.1.0",
        sha256=sha(content),
        schema_id=1,
        classification="safe",
        published_at=1.0,
    )
    await bus.publish(
        SCHEMA_PUBLISHED,
        Envelope.create(SCHEMA_PUBLISHED, payload.model_dump(mode="json"), source="registry"),
    )


async def run_triggered(
    track: Track, tmp_path: Path, bus: EventBus, registry: CollectorRegistry
) -> DriftWatcher:
    """Start a watcher with a one-hour interval; publish to the registry and announce it on ``bus``."""
    track.publish("it.Order", BASE)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
    stop = asyncio.Event()
    async with client_for(track.url) as client:
        watcher = DriftWatcher(
            client,
            reporter_on(None, registry),
            track.name,
            lambda: load_schema_dir(schemas).schemas,
            interval=3600,
            bus=bus,
            trigger_delay=0.05,
        )
        task = asyncio.create_task(watcher.run(stop))
        try:
            await until(lambda: watcher.checks == 1)
            await until(lambda: watcher._subscription is not None)
            await publish_event(
                bus, "v1" if track.name != "v1" else "v2", "it.Order", OPTIONAL
            )  # other track
            await asyncio.sleep(0.3)
            assert watcher.checks == 1, "a publish on another track does not trigger a check"
            track.publish("it.Order", OPTIONAL)
            await publish_event(bus, track.name, "it.Order", OPTIONAL, event_id=2)
            await until(lambda: watcher.checks == 2)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
    assert watcher.last_check is not None
    assert watcher.last_check.status == "drift"
    assert watcher._subscription is None, "the subscription stops with the watcher"
    return watcher


async def test_schema_published_triggers_an_immediate_check(
    track: Track, tmp_path: Path, bus: InMemoryBus, metrics_registry: CollectorRegistry
) -> None:
    watcher = await run_triggered(track, tmp_path, bus, metrics_registry)
    assert watcher.triggers == 1
    labels = {"repo": "mdp-store", "track": track.name, "schema": "it.Order"}
    assert gauge(metrics_registry, "schema_drift_total", **labels) == 1


async def test_schema_published_on_redis_triggers_every_service(
    track: Track, tmp_path: Path, redis_url: str, redis_prefix: str, metrics_registry: CollectorRegistry
) -> None:
    async with RedisBus(redis_url, prefix=redis_prefix, source="test") as bus:
        watcher = await run_triggered(track, tmp_path, bus, metrics_registry)
        assert watcher.group == f"drift-watcher.mdp-store.{track.name}"
        # another service has its own group on the same stream, so it hears the same publish
        assert watcher_group("mdp-pipeline", track.name) != watcher.group


async def test_drift_worker_runs_until_stopped(
    track: Track,
    tmp_path: Path,
    bus: InMemoryBus,
    metrics_registry: CollectorRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    track.publish("it.Order", OPTIONAL)
    schemas = write_schemas(tmp_path / "schemas", {"it.Order": BASE})
    monkeypatch.setenv("MDP_DRIFT_SCHEMA_DIR", str(schemas))
    monkeypatch.setenv("DRIFT_CHECK_SECONDS", "3600")
    monkeypatch.setenv("MDP_DRIFT_REPO", "store-eu")
    settings = load_settings(MdpSettings, registry_url=track.url, registry_track=track.name)
    stop = asyncio.Event()
    async with client_for(track.url) as client:
        worker = drift_worker(settings, bus, client, metrics_registry, "mdp-store")
        assert worker.watcher.interval == 3600
        task = asyncio.create_task(worker(stop))
        await until(lambda: worker.watcher.checks == 1)
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 10)
    [event] = await payloads(bus, SCHEMA_DRIFT)
    assert event["repo"] == "store-eu"
    labels = {"repo": "store-eu", "track": track.name}
    assert gauge(metrics_registry, "schema_drift_check_last_success_timestamp", **labels) is not None


@pytest.mark.parametrize("variable", ["REGISTRY_ENABLED", "MDP_DRIFT_ENABLED"])
async def test_a_disabled_worker_waits_for_stop_and_checks_nothing(
    variable: str, closed_url: str, monkeypatch: pytest.MonkeyPatch, metrics_registry: CollectorRegistry
) -> None:
    monkeypatch.setenv(variable, "false")
    settings = load_settings(DriftSettings, registry_url=closed_url)
    stop = asyncio.Event()
    async with client_for(closed_url, enabled=settings.registry_enabled) as client:
        worker = drift_worker(settings, None, client, metrics_registry, "mdp-store")
        task = asyncio.create_task(worker(stop))
        await asyncio.sleep(0.2)
        assert not task.done(), "returning early would stop the whole service"
        stop.set()
        await asyncio.wait_for(task, 5)
    assert worker.watcher.checks == worker.watcher.failures == 0
    assert variable in worker.reason


async def test_drift_worker_refuses_bad_configuration(
    tmp_path: Path, closed_url: str, monkeypatch: pytest.MonkeyPatch, metrics_registry: CollectorRegistry
) -> None:
    async with client_for(closed_url) as client:
        monkeypatch.setenv("MDP_DRIFT_SCHEMA_DIR", str(tmp_path / "absent"))
        with pytest.raises(ConfigurationError, match="MDP_DRIFT_SCHEMA_DIR"):
            drift_worker(load_settings(MdpSettings), None, client, metrics_registry, "mdp-store")
        monkeypatch.delenv("MDP_DRIFT_SCHEMA_DIR")
        with pytest.raises(ConfigurationError, match="no bundled contracts"):
            drift_worker(load_settings(MdpSettings, registry_track="v7"), None, client, metrics_registry, "x")
        monkeypatch.setenv("DRIFT_CHECK_SECONDS", "0")
        with pytest.raises(ConfigurationError, match="DRIFT_CHECK_SECONDS"):
            drift_worker(load_settings(MdpSettings), None, client, metrics_registry, "x")
