"""Operations: health, metrics, restarts on the same database, replicas sharing one database."""

from __future__ import annotations

import asyncio
import time

import httpx
import psycopg
import pytest
from prometheus_client import CollectorRegistry

from mdp.registry.app import create_app
from mdp.registry.settings import RegistrySettings
from mdp.registry.storage.memory import MemorySchemaStorage
from mdp.settings import load_settings
from tests.conftest import PG_HOST, PG_PORT, PG_USER
from tests.integration.registry.conftest import (
    ADMIN,
    CLOSED,
    AppFactory,
    closed,
    publish,
    running,
    with_property,
)


async def test_health_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["service"], body["state"]) == ("mdp-registry", "healthy")
    assert [c["name"] for c in body["components"]] == ["database"]
    assert body["components"][0]["latency_ms"] >= 0


async def test_health_is_503_when_the_storage_is_gone(data_dir: object) -> None:
    storage = MemorySchemaStorage()
    settings = load_settings(RegistrySettings, admin_token="t", data_dir=data_dir)
    app = create_app(settings, storage=storage)
    storage.close()
    async with running(app) as client:
        response = await client.get("/health")
        assert response.status_code == 503
        assert response.json()["state"] == "unhealthy"
        assert response.json()["components"][0]["detail"]
        assert (await client.get("/schemas/v1")).json()["error_code"] == 50001


@pytest.mark.postgres
async def test_health_is_503_when_postgresql_goes_away(postgres_url: str, data_dir: object) -> None:
    settings = load_settings(RegistrySettings, admin_token="t", data_dir=data_dir, database_url=postgres_url)
    app = create_app(settings)
    async with running(app) as client:
        assert (await client.get("/health")).status_code == 200
        name = postgres_url.rsplit("/", 1)[1]
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        response = await client.get("/health")
        assert response.status_code == 503
        assert response.json()["components"][0]["state"] == "unhealthy"


async def test_metrics(make_app: AppFactory) -> None:
    registry = CollectorRegistry()
    async with running(make_app(registry)) as client:
        await publish(client, "v1", "md.T", CLOSED)
        await publish(client, "v1", "md.T", closed(description="d"))
        await publish(client, "v1", "md.T", with_property("a", {"type": "integer"}))
        await publish(client, "v1", "md.U", CLOSED)
        await client.post("/schemas/v1/md.U/deprecate", json={"reason": "r"}, headers=ADMIN)
        await client.get("/schemas/v1/md.T")
        await client.get("/no/such/path")
        text = (await client.get("/metrics")).text

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("registry_schemas_published_total", track="v1", classification="initial") == 2
    assert value("registry_schemas_published_total", track="v1", classification="docs-only") == 1
    assert value("registry_publish_rejected_total", track="v1", reason="incompatible") == 1
    assert value("registry_subjects", track="v1", state="active") == 1
    assert value("registry_subjects", track="v1", state="deprecated") == 1
    assert value("registry_subjects", track="v2", state="active") == 0
    assert (
        value("registry_http_requests_total", route="/schemas/{track}/{name}", method="POST", status="201")
        == 3
    )
    assert (
        value("registry_http_requests_total", route="/schemas/{track}/{name}", method="GET", status="200")
        == 1
    )
    assert value("registry_http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    count = value("registry_request_duration_seconds_count", route="/schemas/{track}/{name}", method="POST")
    assert count == 4
    assert "registry_subjects" in text


async def test_data_and_events_survive_a_restart(make_app: AppFactory) -> None:
    async with running(make_app()) as client:
        await publish(client, "v1", "md.T", CLOSED)
        await client.post("/schemas/v1/md.T/deprecate", json={"reason": "r"}, headers=ADMIN)
        await client.put("/config/v3", json={"compatibility": "BACKWARD", "policy": "STRICT"}, headers=ADMIN)
        before = [
            (await client.get(path)).json()
            for path in ("/schemas/v1", "/schemas/v1/md.T", "/events", "/config/v3")
        ]
    async with running(make_app()) as client:
        after = [
            (await client.get(path)).json()
            for path in ("/schemas/v1", "/schemas/v1/md.T", "/events", "/config/v3")
        ]
        assert after == before
        assert len(after[2]["events"]) == 2
        again = await publish(client, "v1", "md.T", closed(description="d"))
        assert again.json()["version"] == "1.0.1"
        assert (await client.get("/events")).json()["events"][-1]["id"] == before[2]["last_id"] + 1


async def test_replicas_see_each_others_writes_within_the_ttl(make_app: AppFactory) -> None:
    async with (
        running(make_app(registry_cache_ttl_ms=200)) as first,
        running(make_app(registry_cache_ttl_ms=200)) as second,
    ):
        assert (await second.get("/schemas/v1")).json()["schemas"] == []
        assert (await second.get("/schemas/v1/md.T")).status_code == 404
        await publish(first, "v1", "md.T", CLOSED)
        written = time.monotonic()
        while True:
            index = (await second.get("/schemas/v1")).json()
            if index["schemas"]:
                break
            assert time.monotonic() - written < 5, "the second replica never saw the write"
            await asyncio.sleep(0.02)
        assert time.monotonic() - written < 2
        assert [s["name"] for s in index["schemas"]] == ["md.T"]
        assert (await second.get("/schemas/v1/md.T")).json()["version"] == "1.0.0"
        # ...and the first replica sees a deprecation made through the second.
        await second.post("/schemas/v1/md.T/deprecate", json={"reason": "r"}, headers=ADMIN)
        await asyncio.sleep(0.25)
        assert (await first.get("/schemas/v1/md.T")).json()["state"] == "deprecated"


@pytest.mark.postgres
async def test_concurrent_publishes_through_two_replicas(make_app: AppFactory) -> None:
    async with running(make_app()) as first, running(make_app()) as second:
        await publish(first, "v2", "md.T", CLOSED)
        bodies = [closed(description=f"edit {index}") for index in range(8)]
        clients = [first, second] * 4
        responses = await asyncio.gather(
            *(publish(c, "v2", "md.T", b) for c, b in zip(clients, bodies, strict=True))
        )
        assert {r.status_code for r in responses} <= {201, 409}
        versions = (await first.get("/schemas/v2/md.T/versions")).json()["versions"]
        numbers = [v["version"] for v in versions]
        assert len(numbers) == len(set(numbers)) == 1 + sum(r.status_code == 201 for r in responses)
