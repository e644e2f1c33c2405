"""Index sync and polling: ETag / 304, fetching only new contents, change callbacks, disabled mode."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from mdp.client import (
    InvalidArgument,
    RegistryClient,
    RegistryDisabled,
    RegistryEvent,
    RegistryPoller,
    RegistryUnavailable,
    RetryPolicy,
    SyncRegistryClient,
)
from mdp.settings import MdpSettings, load_settings
from tests.unit.client.fake import FakeRegistry, schema, timeout

FAST = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002)


def make(fake: FakeRegistry, registry: CollectorRegistry, tmp_path: Path) -> RegistryClient:
    return RegistryClient(
        "http://registry.test",
        transport=fake.transport(),
        metrics_registry=registry,
        cache_dir=tmp_path / "cache",
        retry=FAST,
    )


async def test_one_request_per_poll_and_304_downloads_nothing(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    for index in range(20):
        fake.put("v1", f"md.S{index}", schema(f"s{index}"))
    async with make(fake, metrics_registry, tmp_path) as client:
        first = await client.sync_track("v1")
        assert first.status == "changed"
        assert first.complete
        assert len(first.changes) == 20
        assert fake.paths().count("/schemas/v1") == 1
        assert sum(path.startswith("/schemas/by-sha/") for path in fake.paths()) == 20
        fake.requests.clear()

        again = await client.sync_track("v1")
        assert again.status == "not_modified"
        assert fake.paths() == ["/schemas/v1"]
        assert fake.requests[0].headers["if-none-match"] == fake.etag("v1")
        assert client.cached("v1", "md.S3") is not None
    assert (
        metrics_registry.get_sample_value(
            "schema_registry_polls_total", {"track": "v1", "result": "not_modified"}
        )
        == 1
    )


async def test_only_new_sha256_contents_are_fetched(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    shared = schema("shared")
    fake.put("v1", "md.A", shared)
    fake.put("v1", "md.B", schema("b"))
    async with make(fake, metrics_registry, tmp_path) as client:
        await client.sync_track("v1")
        fake.requests.clear()
        new_sha = fake.put("v1", "md.B", schema("b2"), version="1.1.0")
        fake.put("v1", "md.C", shared)  # same content under another name: already cached
        fake.put("v2", "md.A", shared)  # and under another track
        result = await client.sync_track("v1")
        assert [(c.name, c.kind) for c in result.changes] == [("md.B", "replaced"), ("md.C", "added")]
        assert fake.paths() == ["/schemas/v1", f"/schemas/by-sha/{new_sha}"]
        fake.requests.clear()
        await client.sync_track("v2")
        assert fake.paths() == ["/schemas/v2"]
        record = client.cached("v1", "md.B")
        assert record is not None
        assert record.version == "1.1.0"
        assert record.content == schema("b2")


async def test_metadata_changes_update_the_cache_without_callbacks(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.put("v1", "md.A", schema("a"))
    calls: list[tuple[str, str, str | None, str | None]] = []
    async with make(fake, metrics_registry, tmp_path) as client:
        client.on_change(lambda *args: calls.append(args))
        await client.sync_track("v1")
        assert len(calls) == 1
        fake.put("v1", "md.A", schema("a"), state="deprecated")
        result = await client.sync_track("v1")
        assert result.status == "changed"
        assert result.changes == ()
        record = client.cached("v1", "md.A")
        assert record is not None
        assert record.state == "deprecated"
    assert len(calls) == 1


async def test_callbacks_get_old_and_new_sha_and_may_be_async_or_fail(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    old = fake.put("v1", "md.A", schema("a"))
    seen: list[tuple[str, str, str | None, str | None]] = []

    async def swap(track: str, name: str, old_sha: str | None, new_sha: str | None) -> None:
        await asyncio.sleep(0)
        seen.append((track, name, old_sha, new_sha))

    def broken(*_: object) -> None:
        raise RuntimeError("validator compile failed")

    async with make(fake, metrics_registry, tmp_path) as client:
        poller = RegistryPoller(client, on_change=[broken, swap])
        await poller.poll_once()
        new = fake.put("v1", "md.A", schema("a2"), version="2.0.0")
        await poller.poll_once()
    assert seen == [("v1", "md.A", None, old), ("v1", "md.A", old, new)]


async def test_get_schema_swaps_validators_too(metrics_registry: CollectorRegistry, tmp_path: Path) -> None:
    # If get_schema stored a newer record silently, the next poll would see "no change" and the
    # validator would never be swapped; so every path into the cache reports content changes.
    fake = FakeRegistry()
    old = fake.put("v1", "md.A", schema("a"))
    seen: list[tuple[str | None, str | None]] = []
    async with make(fake, metrics_registry, tmp_path) as client:
        client.on_change(lambda _t, _n, o, n: seen.append((o, n)))
        await client.sync_track("v1")
        new = fake.put("v1", "md.A", schema("a2"), version="2.0.0")
        await client.get_schema("v1", "md.A")
        result = await client.sync_track("v1")
    assert seen == [(None, old), (old, new)]
    assert result.changes == ()


async def test_a_failing_poll_keeps_serving_and_never_looks_synced(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.put("v1", "md.A", schema("a"))
    async with make(fake, metrics_registry, tmp_path) as client:
        poller = RegistryPoller(client)
        assert metrics_registry.get_sample_value("schema_registry_last_sync_timestamp", {"track": "v1"}) == 0
        await poller.poll_once()
        synced = metrics_registry.get_sample_value("schema_registry_last_sync_timestamp", {"track": "v1"})
        assert synced is not None
        assert synced > 0
        fake.faults = [timeout] * 2
        results = await poller.poll_once()
        failure = results["v1"]
        assert isinstance(failure, RegistryUnavailable)
        assert failure.kind == "timeout"
        assert client.cached("v1", "md.A") is not None
        assert (
            metrics_registry.get_sample_value("schema_registry_last_sync_timestamp", {"track": "v1"})
            == synced
        )
        assert metrics_registry.get_sample_value("schema_registry_up") == 0
        assert (
            metrics_registry.get_sample_value(
                "schema_registry_polls_total", {"track": "v1", "result": "error"}
            )
            == 1
        )


async def test_missing_contents_make_the_sync_incomplete_and_retry_next_time(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.put("v1", "md.A", schema("a"))
    async with make(fake, metrics_registry, tmp_path) as client:
        fake.faults = [fake.serve, timeout, timeout]  # index ok, then the content fetch fails
        result = await client.sync_track("v1")
        assert not result.complete
        assert client.cached("v1", "md.A") is None
        assert client.cache.etag("v1") is None
        fake.requests.clear()
        result = await client.sync_track("v1")
        assert result.complete
        assert client.cached("v1", "md.A") is not None
        assert "if-none-match" not in fake.requests[0].headers


async def test_refresh_now_wakes_the_poller(metrics_registry: CollectorRegistry, tmp_path: Path) -> None:
    fake = FakeRegistry()
    first = fake.put("v1", "md.A", schema("a"))
    changes: asyncio.Queue[tuple[str | None, str | None]] = asyncio.Queue()
    async with make(fake, metrics_registry, tmp_path) as client:
        poller = RegistryPoller(
            client, interval=3600, on_change=[lambda _t, _n, o, n: changes.put_nowait((o, n))]
        )
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        assert await asyncio.wait_for(changes.get(), 5) == (None, first)
        second = fake.put("v1", "md.A", schema("a2"), version="2.0.0")
        event = RegistryEvent(id=2, type="schema.published", track="v1", name="md.A")
        assert not poller.handle_event(event.model_copy(update={"track": "v2"}))
        assert poller.handle_event(event)
        # The interval is an hour: only the refresh can bring the change in time.
        assert await asyncio.wait_for(changes.get(), 5) == (first, second)
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_disabled_client_makes_no_calls(metrics_registry: CollectorRegistry, tmp_path: Path) -> None:
    fake = FakeRegistry()
    client = RegistryClient(
        transport=fake.transport(), metrics_registry=metrics_registry, enabled=False, cache_dir=tmp_path / "c"
    )
    async with client:
        with pytest.raises(RegistryDisabled):
            await client.get_schema("v1", "md.A")
        with pytest.raises(RegistryDisabled):
            await client.sync_track("v1")
        with pytest.raises(RegistryDisabled):
            await client.get_by_sha("0" * 64)
        assert client.cached("v1", "md.A") is None
        assert await RegistryPoller(client).poll_once() == {}
        await asyncio.wait_for(RegistryPoller(client).run(asyncio.Event()), 1)
    assert fake.requests == []
    assert not (tmp_path / "c").exists()


def test_from_settings_uses_the_seed_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGISTRY_URL", "http://registry.example:9000/")
    monkeypatch.setenv("REGISTRY_TRACK", "v2")
    monkeypatch.setenv("REGISTRY_POLL_SECONDS", "15")
    monkeypatch.setenv("REGISTRY_ENABLED", "false")
    monkeypatch.setenv("ADMIN_TOKEN", "s3cret")
    monkeypatch.setenv("MDP_DATA_DIR", str(tmp_path))
    client = SyncRegistryClient.from_settings(load_settings(MdpSettings))
    with client:
        assert client.base_url == "http://registry.example:9000"
        assert (client.track, client.poll_seconds, client.enabled) == ("v2", 15, False)
        assert "s3cret" not in repr(client)
    enabled = SyncRegistryClient.from_settings(load_settings(MdpSettings, registry_enabled=True))
    with enabled:
        assert enabled.cache.directory == tmp_path / "registry-cache"


def test_sync_client_retries_maps_errors_and_uses_etags(
    metrics_registry: CollectorRegistry, tmp_path: Path
) -> None:
    fake = FakeRegistry()
    fake.put("v1", "md.A", schema("a"))
    with SyncRegistryClient(
        "http://registry.test",
        transport=fake.transport(),
        metrics_registry=metrics_registry,
        cache_dir=tmp_path / "cache",
        retry=FAST,
    ) as client:
        fake.faults = [timeout]
        assert client.sync_track("v1").complete
        assert client.sync_track("v1").status == "not_modified"
        fake.faults = [timeout, timeout]
        assert client.get_schema("v1", "md.A").name == "md.A"  # served from cache
        with pytest.raises(InvalidArgument):
            client.on_change(_async_callback)
    assert metrics_registry.get_sample_value("schema_registry_errors_total", {"kind": "timeout"}) == 3


async def _async_callback(*_: object) -> None:
    return None


def test_the_sync_client_needs_no_event_loop(tmp_path: Path) -> None:
    # Built and used outside any loop; a MockTransport with a plain handler is a sync transport.
    fake = FakeRegistry()
    fake.put("v1", "md.A", schema("a"))
    transport = httpx.MockTransport(fake.handle)
    with SyncRegistryClient("http://registry.test", transport=transport, cache_dir=tmp_path) as client:
        assert client.resolve("v1", "md.A").name == "md.A"
        assert client.resolve("v1", "md.A").name == "md.A"
    assert fake.paths() == ["/schemas/v1/md.A"]


async def test_a_restarted_client_serves_the_snapshot_while_the_registry_is_down(tmp_path: Path) -> None:
    fake = FakeRegistry()
    sha = fake.put("v1", "md.A", schema("a"))
    async with make(fake, CollectorRegistry(), tmp_path) as client:
        await client.sync_track("v1")
    fake.faults = [timeout] * 100
    restarted = make(fake, CollectorRegistry(), tmp_path)
    async with restarted:
        record = restarted.cached("v1", "md.A")
        assert record is not None
        assert record.sha256 == sha
        assert (await restarted.get_schema("v1", "md.A")).sha256 == sha
        assert (await restarted.get_index("v1")).schemas[0].sha256 == sha
        assert (await restarted.get_by_sha(sha)).content == schema("a")
        assert restarted.last_sync("v1") is None, "a snapshot is not a sync"
