"""The orchestrator consumer suite on the in-memory bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mdp.pulse import EventBus, InMemoryBroker, InMemoryBus
from tests.suites.orchestrator_consumer import MakeBus, OrchestratorConsumerSuite


class TestInMemoryConsumer(OrchestratorConsumerSuite):
    @pytest.fixture
    async def make_bus(self) -> AsyncIterator[MakeBus]:
        broker = InMemoryBroker()
        buses: list[EventBus] = []

        async def make(**options: Any) -> EventBus:
            bus = InMemoryBus(broker=broker, claim_idle_ms=100, **options)
            await bus.start()
            buses.append(bus)
            return bus

        yield make
        for bus in buses:
            await bus.close()
