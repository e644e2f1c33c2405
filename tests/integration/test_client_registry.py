"""The client SDK against a real ``mdp registry serve`` process (SQLite under a private MDP_DATA_DIR).

Covers the REST contract end to end (publish, reads, typed errors, ETag/304 polling, change callbacks) and
seed 002's drill 3, "Registry Outage: falls back to cached schemas": the registry is stopped with SIGTERM,
the client keeps serving from its cache (errors rise, ``schema_registry_up`` drops to 0, the last-sync
timestamp does not move), a client restarted during the outage serves the disk snapshot, and once the
registry is back the same client recovers (up 1, last sync advances).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from mdp.client import (
    Forbidden,
    IncompatibleSchema,
    InvalidConfig,
    InvalidSchema,
    RegistryClient,
    RegistryPoller,
    RegistryUnavailable,
    RetryPolicy,
    SchemaNotFound,
    SyncRegistryClient,
    Unauthorized,
)
from mdp.contracts.hashing import compute_sha256
from tests.integration.registry_process import RegistryProcess, registry_serve_available

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "integration-admin-token"
QUICK = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1)


@pytest.fixture(scope="module")
def serve_available() -> None:
    if not registry_serve_available():
        pytest.skip("`mdp registry serve` is not available yet (the registry branch is not merged)")


@pytest.fixture(scope="module")
def registry(serve_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    process = RegistryProcess(tmp_path_factory.mktemp("registry-data"), TOKEN)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def unique(prefix: str = "it.Widget") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def widget(*optional: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    properties = {"id": {"type": "string"}, **{name: {"type": "integer"} for name in (*optional, *required)}}
    return {"type": "object", "properties": properties, "required": ["id", *required]}


def client_for(process: RegistryProcess, tmp_path: Path, **options: Any) -> RegistryClient:
    options.setdefault("metrics_registry", CollectorRegistry())
    options.setdefault("admin_token", TOKEN)
    options.setdefault("retry", QUICK)
    options.setdefault("timeout", 5.0)
    return RegistryClient(process.url, cache_dir=tmp_path / "cache", trust_env=False, **options)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_publish_and_read_back(registry: RegistryProcess, tmp_path: Path) -> None:
    name = unique()
    content = widget()
    async with client_for(registry, tmp_path) as client:
        published = await client.publish("v2", name, content)
        assert published.created
        assert published.record.version == "1.0.0"
        assert published.record.sha256 == compute_sha256(content)
        assert published.compatibility is None, "a first version has nothing to be compatible with"

        again = await client.publish("v2", name, {"required": ["id"], **content})  # same canonical content
        assert not again.created
        assert again.record.version == "1.0.0"

        content = widget("qty")
        evolved = await client.publish("v2", name, content)
        assert evolved.created
        assert evolved.record.version != "1.0.0"
        assert evolved.compatibility is not None
        assert evolved.compatibility["mode"] == "NONE"

        record = await client.get_schema("v2", name)
        assert record.content == content
        assert record.state == "active"
        index = await client.get_index("v2")
        assert any(entry.name == name and entry.sha256 == record.sha256 for entry in index.schemas)
        assert (await client.get_by_sha(record.sha256)).content == content
        versions = await client.get_versions("v2", name)
        assert [item.version for item in versions.versions] == ["1.0.0", evolved.record.version]

        page = await client.events(after=0, limit=1000)
        assert any(event.type == "schema.published" and event.name == name for event in page.events)
        assert page.last_id >= max(event.id for event in page.events)

        deprecated = await client.deprecate("v2", name, "replaced by it.Gadget")
        assert deprecated.state == "deprecated"
        assert deprecated.deprecated_reason == "replaced by it.Gadget"
        cached = client.cached("v2", name)
        assert cached is not None
        assert cached.state == "deprecated"


async def test_registry_refusals_are_typed(registry: RegistryProcess, tmp_path: Path) -> None:
    name = unique()
    async with client_for(registry, tmp_path, admin_token=None) as anonymous:
        with pytest.raises(Unauthorized):
            await anonymous.publish("v1", name, widget())
        with pytest.raises(SchemaNotFound):
            await anonymous.get_schema("v1", unique("it.Missing"))
    async with client_for(registry, tmp_path, admin_token="wrong-token") as impostor:
        with pytest.raises(Forbidden):
            await impostor.publish("v1", name, widget())
    async with client_for(registry, tmp_path) as admin:
        await admin.publish("v1", name, widget())
        with pytest.raises(IncompatibleSchema) as caught:
            await admin.publish("v1", name, widget(required=("qty",)))  # a new required field breaks readers
        assert caught.value.breaking
        assert caught.value.mode == "FULL_TRANSITIVE"
        remote = {"type": "object", "properties": {"x": {"$ref": "https://example.com/x.json"}}}
        with pytest.raises(InvalidSchema):
            await admin.publish("v1", unique(), remote)
        assert (await admin.get_config("v1")).compatibility == "FULL_TRANSITIVE"
        with pytest.raises(InvalidConfig):
            await admin.put_config("v1", compatibility="SOMETIMES", policy="LENIENT")
        assert admin.up


def test_sync_client_reads_and_polls(registry: RegistryProcess, tmp_path: Path) -> None:
    name = unique()
    metrics = CollectorRegistry()
    with SyncRegistryClient(
        registry.url, admin_token=TOKEN, cache_dir=tmp_path, metrics_registry=metrics, trust_env=False
    ) as client:
        client.publish("v2", name, widget())
        assert client.get_schema("v2", name).content == widget()
        first = client.sync_track("v2")
        assert first.complete
        assert client.cached("v2", name) is not None
        assert client.sync_track("v2").status == "not_modified"
    assert sample(metrics, "schema_registry_polls_total", track="v2", result="not_modified") == 1


async def test_registry_outage_drill(serve_available: None, tmp_path: Path) -> None:
    """Seed 002, drill 3, against a real registry process stopped with SIGTERM."""
    process = RegistryProcess(tmp_path / "registry-data", TOKEN)
    process.start()
    try:
        await _outage_drill(process, tmp_path)
    finally:
        process.stop()


async def _outage_drill(process: RegistryProcess, tmp_path: Path) -> None:
    names = [unique("it.Drill") for _ in range(3)]
    metrics = CollectorRegistry()
    changes: asyncio.Queue[tuple[str, str, str | None, str | None]] = asyncio.Queue()
    async with client_for(process, tmp_path, metrics_registry=metrics, track="v2") as client:
        for name in names:
            await client.publish("v2", name, widget())
        poller = RegistryPoller(client, on_change=[lambda *change: changes.put_nowait(change)])

        # First poll downloads everything; the second is a 304.
        first = (await poller.poll_once())["v2"]
        assert not isinstance(first, Exception)
        assert first.complete
        assert sample(metrics, "schema_registry_up") == 1
        assert sample(metrics, "schema_registry_last_sync_timestamp", track="v2") > 0
        second = (await poller.poll_once())["v2"]
        assert not isinstance(second, Exception)
        assert second.status == "not_modified"

        # A publish by someone else (an admin tool) reaches the validators through the change callback.
        while not changes.empty():
            changes.get_nowait()
        old_sha = compute_sha256(widget())
        async with client_for(process, tmp_path / "admin-tool") as publisher:
            new = await publisher.publish("v2", names[0], widget("qty"))
        assert new.created
        assert changes.empty()
        third = (await poller.poll_once())["v2"]
        assert not isinstance(third, Exception)
        assert third.status == "changed"
        assert changes.get_nowait() == ("v2", names[0], old_sha, new.record.sha256)

        # Outage: stop the registry. Reads are served from the cache; the outage is visible.
        process.stop()
        errors_before = sample(metrics, "schema_registry_errors_total", kind="connect")
        stale = sample(metrics, "schema_registry_last_sync_timestamp", track="v2")
        record = await client.get_schema("v2", names[1])
        assert record.content == widget()
        cached = client.cached("v2", names[0])
        assert cached is not None
        assert cached.sha256 == new.record.sha256
        failed = (await poller.poll_once())["v2"]
        assert isinstance(failed, RegistryUnavailable)
        assert sample(metrics, "schema_registry_errors_total", kind="connect") > errors_before
        assert sample(metrics, "schema_registry_up") == 0
        assert sample(metrics, "schema_registry_last_sync_timestamp", track="v2") == stale
        with pytest.raises(RegistryUnavailable):
            await client.get_schema("v2", unique("it.NeverSeen"))

        # A process restarted during the outage serves the disk snapshot, and never looks synced.
        restarted_metrics = CollectorRegistry()
        async with client_for(process, tmp_path, metrics_registry=restarted_metrics, track="v2") as restarted:
            for name in names:
                assert restarted.cached("v2", name) is not None
            snapshot_record = restarted.cached("v2", names[0])
            assert snapshot_record is not None
            assert snapshot_record.sha256 == new.record.sha256
            assert (await restarted.get_schema("v2", names[2])).content == widget()
            assert sample(restarted_metrics, "schema_registry_up") == 0
            assert sample(restarted_metrics, "schema_registry_last_sync_timestamp", track="v2") == 0

            # Recovery: the registry comes back on the same port with the same data.
            process.start()
            recovered = (await poller.poll_once())["v2"]
            assert not isinstance(recovered, Exception)
            assert sample(metrics, "schema_registry_up") == 1
            assert sample(metrics, "schema_registry_last_sync_timestamp", track="v2") > stale
            from_snapshot = (await RegistryPoller(restarted).poll_once())["v2"]
            assert not isinstance(from_snapshot, Exception)
            assert from_snapshot.status == "not_modified", "the snapshot's ETag is still current"
            assert sample(restarted_metrics, "schema_registry_up") == 1
            assert sample(restarted_metrics, "schema_registry_last_sync_timestamp", track="v2") > stale
