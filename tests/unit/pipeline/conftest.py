"""Fixtures for pipeline tests: a bus per backend (in-memory and real Redis), bars, and a service factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from mdp.contracts.bundled import bundled_schema
from mdp.enforcement import Enforcer, MemorySchemaProvider, enforcement_metrics
from mdp.pipeline.feedback import FlowController
from mdp.pipeline.metrics import pipeline_metrics
from mdp.pipeline.service import PipelineService
from mdp.pulse import Envelope, EventBus, InMemoryBus, SchemaRef
from tests.unit.enforcement.conftest import bar_payload

RAW, OUT, DLQ = "md.bars.raw", "md.bars", "md.bars.dlq"
BAR_REF = SchemaRef("v1", "md.Bar")

MakeService = Callable[..., PipelineService]


def bar(n: int = 0, **overrides: Any) -> Envelope:
    """A valid md.bar envelope (``n`` makes the payload distinct), or an invalid one with ``overrides``."""
    payload = bar_payload(volume=float(n), **overrides)
    return Envelope.create("md.bar", payload, source="test-feed", schema=BAR_REF)


def invalid_kinds() -> list[Envelope]:
    """One envelope per kind of invalid payload the schema catches."""
    missing = bar_payload()
    del missing["close"]
    return [
        Envelope.create("md.bar", missing, source="t", schema=BAR_REF),  # missing field
        bar(open="cheap"),  # wrong type
        bar(venue="XNAS"),  # extra field (closed content model)
        bar(timeframe="7m"),  # bad enum
        Envelope.create("md.bar", [1, 2], source="t", schema=BAR_REF),  # payload not an object
    ]


async def inject(bus: EventBus, stream: str, raw: bytes) -> str:
    """Append bytes that are not an envelope, as a foreign producer could."""
    if isinstance(bus, InMemoryBus):
        return bus.inject_raw(stream, raw)
    from mdp.pulse.redis import RedisBus

    assert isinstance(bus, RedisBus)
    return await bus.inject_raw(stream, {b"envelope": raw})


@pytest.fixture(params=["inmem", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    """A started bus on each backend (claim idle 200 ms so redelivery tests are quick)."""
    made: EventBus
    if request.param == "inmem":
        made = InMemoryBus(claim_idle_ms=200, max_deliveries=5)
    else:
        from mdp.pulse.redis import RedisBus

        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        made = RedisBus(url, prefix=prefix, claim_idle_ms=200, max_deliveries=5)
    await made.start()
    yield made
    await made.close()


@pytest.fixture
def schemas() -> MemorySchemaProvider:
    provider = MemorySchemaProvider()
    provider.put("v1", "md.Bar", bundled_schema("v1", "md.Bar"))
    return provider


@pytest.fixture
def make_service(
    bus: EventBus, schemas: MemorySchemaProvider, metrics_registry: CollectorRegistry
) -> MakeService:
    """``make_service(mode=..., enabled=..., batch_size=..., flow=...)`` on the test's bus."""
    metrics = [pipeline_metrics(metrics_registry), enforcement_metrics(metrics_registry)]

    def make(**options: Any) -> PipelineService:
        enforcer = Enforcer(
            schemas=options.pop("schemas", schemas),
            mode=options.pop("mode", "strict"),
            enabled=options.pop("enabled", True),
            metrics=metrics[1],
            bindings={RAW: ("v1", "md.Bar")},
            log_failures=False,
        )
        options.setdefault("flow", FlowController(ttl_s=30, soft_delay_s=0.05))
        options.setdefault("batch_size", 100)
        options.setdefault("block_ms", 50)
        options.setdefault("housekeeping_s", 0.05)
        return PipelineService(
            options.pop("bus", bus),
            enforcer,
            input_stream=RAW,
            output_stream=OUT,
            dlq_stream=DLQ,
            consumer="c-1",
            metrics=metrics[0],
            **options,
        )

    return make


def ids_in(entries: list[Any]) -> list[str]:
    """Envelope ids of stream entries (the dedup key downstream)."""
    return [orjson.loads(entry.raw)["id"] for entry in entries]
