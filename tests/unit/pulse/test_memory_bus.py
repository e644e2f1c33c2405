"""The shared event bus suite on the in-memory adapter, plus what only the in-memory bus has."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mdp.pulse import Delivery, Envelope, EventBus, InMemoryBroker, InMemoryBus, InvalidEntryId
from mdp.pulse.memory import parse_entry_id
from tests.suites.event_bus import EventBusSuite, MakeBus, wait_until


class TestInMemoryBus(EventBusSuite):
    @pytest.fixture
    async def make_bus(self) -> AsyncIterator[MakeBus]:
        made: list[InMemoryBus] = []

        async def make(**options: object) -> EventBus:
            bus = InMemoryBus(retry_base_ms=10, retry_max_ms=50, **options)  # type: ignore[arg-type]
            await bus.start()
            made.append(bus)
            return bus

        yield make
        for bus in made:
            await bus.close()

    async def inject_malformed(self, bus: EventBus, stream: str, raw: bytes) -> str:
        assert isinstance(bus, InMemoryBus)
        return bus.inject_raw(stream, raw)


async def test_buses_on_one_broker_share_streams_and_keep_their_own_lifecycle() -> None:
    broker = InMemoryBroker()
    producer, consumer = InMemoryBus(broker=broker), InMemoryBus(broker=broker)
    await consumer.ensure_group("s", "g")
    await producer.publish("s", Envelope.create("t", {"n": 1}, source="p"))
    await producer.close()
    (delivery,) = await consumer.read("s", "g", "c")
    assert delivery.envelope is not None
    assert delivery.envelope.payload == {"n": 1}
    await consumer.close()


async def test_prefixes_separate_buses_on_one_broker() -> None:
    broker = InMemoryBroker()
    one, two = InMemoryBus(broker=broker, prefix="a:"), InMemoryBus(broker=broker, prefix="b:")
    await one.publish("s", Envelope.create("t", {}, source="p"))
    assert await one.stream_length("s") == 1
    assert await two.stream_length("s") == 0


@pytest.mark.parametrize(
    ("text", "end", "key"),
    [("-", False, (0, 0)), ("5", False, (5, 0)), ("5", True, (5, 2**64 - 1)), ("5-7", False, (5, 7))],
)
def test_entry_ids_parse_like_redis(text: str, end: bool, key: tuple[int, int]) -> None:
    assert parse_entry_id(text, end=end) == key


@pytest.mark.parametrize("text", ["", "x", "1-", "-1", "1-2-3", "99999999999999999999999-0"])
def test_bad_entry_ids_are_rejected(text: str) -> None:
    with pytest.raises(InvalidEntryId):
        parse_entry_id(text)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="max_deliveries"):
        InMemoryBus(max_deliveries=0)


async def test_a_draining_subscription_lets_other_tasks_run() -> None:
    async with InMemoryBus() as bus:
        await bus.publish_many("s", [Envelope.create("t", {"n": n}, source="p") for n in range(5000)])
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        async def handler(batch: list[Delivery]) -> None:  # never suspends
            return None

        background = asyncio.create_task(ticker())
        subscription = await bus.subscribe("s", "g", "c", handler, batch_size=10, block_ms=50)
        await wait_until(lambda: subscription.processed == 5000)
        background.cancel()
        await subscription.stop()
        assert ticks > 100  # the ticker ran between batches, not only after the backlog was drained
