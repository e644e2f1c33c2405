"""The registry outbox relay: every outbox event on Pulse exactly once, across restarts and replicas."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mdp.contracts.bundled import bundled_schema
from mdp.contracts.events import SchemaDeprecated, SchemaPublished
from mdp.pipeline.relay import OutboxRelay
from mdp.pulse import EventBus
from mdp.pulse.redis import RedisBus
from mdp.pulse.streams import SCHEMA_DEPRECATED, SCHEMA_PUBLISHED
from mdp.registry.seed import seed_over_http, seed_storage
from mdp.registry.service import RegistryService
from mdp.registry.storage import SqlSchemaStorage
from tests.integration.registry_process import RegistryProcess

pytestmark = pytest.mark.redis


@pytest.fixture
async def bus(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisBus]:
    async with RedisBus(redis_url, prefix=redis_prefix) as made:
        yield made


async def relayed(bus: EventBus) -> list[int]:
    """Event ids on both schema streams, in outbox order, duplicates kept; each payload must parse."""
    ids = []
    for stream, model in ((SCHEMA_PUBLISHED, SchemaPublished), (SCHEMA_DEPRECATED, SchemaDeprecated)):
        for entry in await bus.read_range(stream, count=10_000):
            assert entry.envelope is not None
            assert entry.envelope.type == stream
            assert entry.envelope.schema is not None
            ids.append(model.model_validate(entry.envelope.payload).event_id)
    return sorted(ids)


def outbox_ids(storage: SqlSchemaStorage) -> list[int]:
    return [event.id for event in storage.events(0, 10_000)]


def widen(service: RegistryService, field: str) -> None:
    content = copy.deepcopy(bundled_schema("v1", "md.Bar"))
    content["properties"][field] = {"type": ["string", "null"], "default": None}
    service.publish("v1", "md.Bar", content)


async def test_a_relay_killed_mid_relay_resumes_without_duplicates_or_gaps(
    bus: RedisBus, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    storage = SqlSchemaStorage(url)
    seed_storage(RegistryService(storage))
    expected = outbox_ids(storage)
    assert len(expected) >= 10

    published: list[int] = []
    five = asyncio.Event()

    def note(event: object) -> None:
        published.append(getattr(event, "id"))  # noqa: B009
        if len(published) >= 5:
            five.set()

    relay = OutboxRelay(storage, bus, batch=3, interval_s=0.01, on_published=note)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.wait_for(five.wait(), 30)
    task.cancel()  # the registry dies mid-relay (between two publishes, or inside one)
    await asyncio.gather(task, return_exceptions=True)
    storage.close()

    restarted = SqlSchemaStorage(url)  # the registry comes back on the same database
    service = RegistryService(restarted)
    service.deprecate("v1", "md.Quote", "replaced by md.Trade")
    widen(service, "venue")
    second = OutboxRelay(restarted, bus, batch=3)
    while await second.relay_once():
        pass
    assert await relayed(bus) == outbox_ids(restarted)
    assert len(outbox_ids(restarted)) == len(expected) + 2
    assert await second.relay_once() == 0  # caught up: nothing twice
    restarted.close()


async def test_two_replicas_on_one_postgresql_publish_each_event_once(
    redis_url: str, redis_prefix: str, postgres_url: str
) -> None:
    storages = [SqlSchemaStorage(postgres_url), SqlSchemaStorage(postgres_url)]
    buses = [RedisBus(redis_url, prefix=redis_prefix), RedisBus(redis_url, prefix=redis_prefix)]
    for made in buses:
        await made.start()
    stop = asyncio.Event()
    relays = [
        OutboxRelay(storage, made, batch=4, interval_s=0.01)
        for storage, made in zip(storages, buses, strict=True)
    ]
    tasks = [asyncio.create_task(relay.run(stop)) for relay in relays]
    try:
        services = [RegistryService(storage) for storage in storages]
        await asyncio.to_thread(seed_storage, services[0])  # writes while both relays poll
        await asyncio.to_thread(widen, services[1], "venue")
        await asyncio.to_thread(services[0].deprecate, "v2", "md.Quote", "gone")
        expected = outbox_ids(storages[0])
        for _ in range(500):
            if sum(relay.published for relay in relays) >= len(expected):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # give a straggler the chance to publish twice (it must not)
        assert await relayed(buses[0]) == expected
        assert sum(relay.published for relay in relays) == len(expected)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for made in buses:
            await made.close()
        for storage in storages:
            storage.close()


async def test_registry_serve_relays_across_a_sigkill_restart(
    bus: RedisBus, redis_url: str, redis_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENT_BUS_BACKEND", "redis")
    monkeypatch.setenv("MDP_REDIS_URL", redis_url)
    monkeypatch.setenv("MDP_PULSE_PREFIX", redis_prefix)
    registry = RegistryProcess(tmp_path / "registry", "relay-token")
    registry.start()
    try:
        report = seed_over_http(registry.url, "relay-token")
        assert report.created
        assert registry.process is not None
        registry.process.kill()  # SIGKILL, wherever the relay was
        registry.process.wait(10)
        registry.process = None
        registry.start()
        content = copy.deepcopy(bundled_schema("v1", "md.Bar"))
        content["properties"]["venue"] = {"type": ["string", "null"], "default": None}
        headers = {"Authorization": "Bearer relay-token"}
        async with httpx.AsyncClient(base_url=registry.url) as http:
            answer = await http.post("/schemas/v1/md.Bar", json={"content": content}, headers=headers)
            assert answer.status_code == 201, answer.text
            events = (await http.get("/events", params={"limit": 1000})).json()["events"]
        expected = [event["id"] for event in events]
        for _ in range(200):
            if len(await relayed(bus)) >= len(expected):
                break
            await asyncio.sleep(0.05)
        assert await relayed(bus) == expected
    finally:
        registry.stop()
