"""The telemetry publisher is fail-open: a broken or hung bus is logged and counted, never raised."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import jsonschema_rs
import pytest
from prometheus_client import CollectorRegistry

from mdp.contracts import SchemaDrift
from mdp.contracts.bundled import bundled_schema
from mdp.pulse import InMemoryBus, PulseConfig, SchemaRef, TelemetryPublisher, shared_broker
from mdp.pulse.redis import RedisBus
from mdp.pulse.streams import SCHEMA_DRIFT

DRIFT = {
    "repo": "market-data-store",
    "schema": "telemetry.FeedbackEvent",
    "track": "v1",
    "local_sha256": "a" * 64,
    "registry_sha256": "b" * 64,
    "detected_at": 1729000000.0,
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers: a hung Redis."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def sample(registry: CollectorRegistry, name: str, stream: str = SCHEMA_DRIFT) -> float | None:
    return registry.get_sample_value(name, {"stream": stream})


async def test_publishes_to_the_stream_of_the_event_type(metrics_registry: CollectorRegistry) -> None:
    async with InMemoryBus() as bus:
        publisher = TelemetryPublisher(bus, source="store", metrics_registry=metrics_registry)
        entry_id = await publisher.publish(SCHEMA_DRIFT, DRIFT)
        (entry,) = await bus.read_range(SCHEMA_DRIFT)
        assert entry.message_id == entry_id
        assert entry.envelope is not None
        assert entry.envelope.type == SCHEMA_DRIFT
        assert entry.envelope.source == "store"
        assert entry.envelope.payload == DRIFT
        assert entry.envelope.schema == SchemaRef("v1", "telemetry.SchemaDrift")
    assert sample(metrics_registry, "pulse_published_total") == 1
    assert sample(metrics_registry, "pulse_publish_failures_total") is None


async def test_models_and_explicit_schema_refs_are_accepted() -> None:
    async with InMemoryBus() as bus:
        publisher = TelemetryPublisher(bus, source="store", track="v2")
        drift = SchemaDrift.model_validate({**DRIFT, "track": "v2"})
        ref = SchemaRef("v2", "telemetry.SchemaDrift", "c" * 64)
        await publisher.publish(SCHEMA_DRIFT, drift, schema_ref=ref)
        await publisher.publish("custom.event", {"x": 1})
        (drift_entry,) = await bus.read_range(SCHEMA_DRIFT)
        (custom_entry,) = await bus.read_range("custom.event")
        assert drift_entry.envelope is not None
        assert drift_entry.envelope.payload == drift.model_dump(mode="json", by_alias=True)
        assert drift_entry.envelope.payload["schema"] == "telemetry.FeedbackEvent"
        contract = jsonschema_rs.validator_for(bundled_schema("v2", "telemetry.SchemaDrift"))
        assert contract.is_valid(drift_entry.envelope.payload)  # the wire form obeys the contract
        assert drift_entry.envelope.schema == ref
        assert custom_entry.envelope is not None
        assert custom_entry.envelope.schema is None  # no bundled schema for that type


async def test_an_unreachable_redis_is_logged_and_counted_never_raised(
    metrics_registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    bus = RedisBus(f"redis://127.0.0.1:{closed_port()}/0", retry_attempts=1, retry_base_ms=1, retry_max_ms=2)
    publisher = TelemetryPublisher(bus, source="store", metrics_registry=metrics_registry)
    assert await publisher.publish(SCHEMA_DRIFT, DRIFT) is None
    assert await publisher.publish(SCHEMA_DRIFT, DRIFT) is None
    assert sample(metrics_registry, "pulse_publish_failures_total") == 2
    assert sample(metrics_registry, "pulse_published_total") is None
    assert "telemetry event telemetry.schema_drift dropped: BusUnavailable" in caplog.text
    await bus.close()


async def test_a_hung_bus_times_out_instead_of_stalling_the_caller(
    silent_server: int, metrics_registry: CollectorRegistry
) -> None:
    bus = RedisBus(f"redis://127.0.0.1:{silent_server}/0")
    publisher = TelemetryPublisher(bus, source="store", metrics_registry=metrics_registry, timeout_s=0.2)
    started = asyncio.get_running_loop().time()
    assert await publisher.publish(SCHEMA_DRIFT, DRIFT) is None
    assert asyncio.get_running_loop().time() - started < 2
    assert sample(metrics_registry, "pulse_publish_failures_total") == 1
    await bus.close()


async def test_unencodable_payloads_fail_open(metrics_registry: CollectorRegistry) -> None:
    async with InMemoryBus() as bus:
        publisher = TelemetryPublisher(bus, source="store", metrics_registry=metrics_registry)
        assert await publisher.publish(SCHEMA_DRIFT, {"when": object()}) is None
        assert await bus.stream_length(SCHEMA_DRIFT) == 0
    assert sample(metrics_registry, "pulse_publish_failures_total") == 1


async def test_disabled_publishes_nothing(metrics_registry: CollectorRegistry) -> None:
    async with InMemoryBus() as bus:
        publisher = TelemetryPublisher(bus, enabled=False, source="store", metrics_registry=metrics_registry)
        assert await publisher.publish(SCHEMA_DRIFT, DRIFT) is None
        assert await bus.stream_length(SCHEMA_DRIFT) == 0
    assert sample(metrics_registry, "pulse_published_total") is None
    assert sample(metrics_registry, "pulse_publish_failures_total") is None
    assert await TelemetryPublisher(None, source="store").publish(SCHEMA_DRIFT, DRIFT) is None


async def test_seed_config_builds_a_publisher_on_the_shared_in_memory_broker(redis_prefix: str) -> None:
    config = PulseConfig(enabled=True, backend="inmem", prefix=redis_prefix)
    async with TelemetryPublisher.from_config(config, source="store") as publisher:
        entry_id = await publisher.publish(SCHEMA_DRIFT, DRIFT)
    # Another service of the process, on its own bus handle, sees the event.
    async with InMemoryBus(broker=shared_broker(), prefix=redis_prefix) as other:
        assert [entry.message_id for entry in await other.read_range(SCHEMA_DRIFT)] == [entry_id]


async def test_disabled_config_builds_no_bus() -> None:
    publisher = TelemetryPublisher.from_config(PulseConfig(enabled=False, backend="redis"), source="store")
    await publisher.start()
    assert not publisher.enabled
    assert await publisher.publish(SCHEMA_DRIFT, DRIFT) is None
    await publisher.close()


async def test_start_failure_of_an_owned_bus_is_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    config = PulseConfig(backend="redis", redis_url=f"redis://127.0.0.1:{closed_port()}/0", retry_attempts=0)
    async with TelemetryPublisher.from_config(config, source="store") as publisher:
        assert await publisher.publish(SCHEMA_DRIFT, DRIFT) is None
    assert "telemetry bus did not start" in caplog.text
