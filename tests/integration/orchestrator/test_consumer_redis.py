"""The orchestrator consumer suite on Redis Streams, plus what only a real server can show."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from mdp.orchestrator.consumer import TelemetryConsumer
from mdp.pulse import EventBus
from tests.suites.event_bus import wait_until
from tests.suites.orchestrator_consumer import MakeBus, OrchestratorConsumerSuite, metrics_for, new_state

pytestmark = pytest.mark.redis


class TestRedisConsumer(OrchestratorConsumerSuite):
    @pytest.fixture
    async def make_bus(self, redis_url: str, redis_prefix: str) -> AsyncIterator[MakeBus]:
        from mdp.pulse.redis import RedisBus

        buses: list[EventBus] = []

        async def make(**options: Any) -> EventBus:
            bus = RedisBus(redis_url, prefix=redis_prefix, claim_idle_ms=100, retry_base_ms=10, **options)
            await bus.start()
            buses.append(bus)
            return bus

        yield make
        for bus in buses:
            await bus.close()


async def test_a_bus_that_is_down_is_retried_until_stopped() -> None:
    from mdp.pulse.redis import RedisBus

    bus = RedisBus("redis://127.0.0.1:1/0", retry_attempts=0, retry_base_ms=1, retry_max_ms=2)
    state = new_state()
    worker = TelemetryConsumer(
        bus, state, metrics_for(state, CollectorRegistry()), group="g", consumer="c", retry_base_s=0.01
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await wait_until(lambda: worker.phase == "waiting" and worker.last_error is not None)
        assert not worker.healthy
        assert "BusUnavailable" in (worker.last_error or "")
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await bus.close()
    assert worker.phase == "stopped"
