"""The shared event bus suite on Redis Streams, plus reconnects, restarts and Redis-only details."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest
import redis
from prometheus_client import CollectorRegistry

from mdp.pulse import (
    BusUnavailable,
    Delivery,
    EventBus,
    GroupNotFound,
    InvalidEntryId,
    MissingDependency,
    PulseError,
)
from mdp.pulse.redis import RedisBus
from tests.conftest import services_required
from tests.suites.event_bus import EventBusSuite, MakeBus, envelopes, seqs, wait_until

pytestmark = pytest.mark.redis


class TestRedisBus(EventBusSuite):
    @pytest.fixture
    async def make_bus(self, redis_url: str, redis_prefix: str) -> AsyncIterator[MakeBus]:
        made: list[RedisBus] = []

        async def make(**options: object) -> EventBus:
            bus = RedisBus(redis_url, prefix=redis_prefix, retry_base_ms=10, retry_max_ms=50, **options)  # type: ignore[arg-type]
            await bus.start()
            made.append(bus)
            return bus

        yield make
        for bus in made:
            await bus.close()

    async def inject_malformed(self, bus: EventBus, stream: str, raw: bytes) -> str:
        assert isinstance(bus, RedisBus)
        return await bus.inject_raw(stream, {b"envelope": raw})  # a raw XADD, as a foreign producer would


async def test_entries_without_an_envelope_field_are_decode_errors(redis_url: str, redis_prefix: str) -> None:
    async with RedisBus(redis_url, prefix=redis_prefix) as bus:
        await bus.ensure_group("s", "g")
        raw_id = await bus.inject_raw("s", {b"payload": b"{}", b"kind": b"md.bar"})
        (delivery,) = await bus.read("s", "g", "c")
        assert delivery.message_id == raw_id
        assert delivery.envelope is None
        assert delivery.error is not None
        assert "no 'envelope' field" in delivery.error
        assert orjson.loads(delivery.raw) == {"payload": "{}", "kind": "md.bar"}  # kept for the DLQ


async def test_a_foreign_producer_can_xadd_an_envelope(redis_url: str, redis_prefix: str) -> None:
    """What docs/pulse.md tells other languages to do: XADD <stream> * envelope <json>."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.xadd(
            redis_prefix + "md.bars.raw",
            {"envelope": '{"id":"x1","type":"md.bar","ts":1729000000.5,"source":"feed","payload":{"o":1}}'},
        )
    finally:
        client.close()
    async with RedisBus(redis_url, prefix=redis_prefix) as bus:
        await bus.ensure_group("md.bars.raw", "pipeline")
        (delivery,) = await bus.read("md.bars.raw", "pipeline", "c")
        assert delivery.envelope is not None
        assert (delivery.envelope.source, delivery.envelope.payload, delivery.envelope.schema) == (
            "feed",
            {"o": 1},
            None,
        )


def _kill_connections(redis_url: str, client_name: str) -> int:
    """CLIENT KILL every connection of one bus (by its client name), leaving everyone else's alone."""
    admin = redis.Redis.from_url(redis_url)
    try:
        killed = 0
        for info in admin.client_list():
            if info.get("name") == client_name:
                killed += admin.client_kill_filter(_id=info["id"])
        return killed
    finally:
        admin.close()


async def test_consumer_survives_killed_connections_and_loses_nothing(
    redis_url: str, redis_prefix: str, metrics_registry: CollectorRegistry
) -> None:
    name = f"mdp-test-{uuid.uuid4().hex[:8]}"
    seen: list[int] = []

    async def handler(batch: list[Delivery]) -> None:
        seen.extend(seqs(batch))

    async with (
        RedisBus(
            redis_url,
            prefix=redis_prefix,
            client_name=name,
            claim_idle_ms=200,
            retry_base_ms=10,
            retry_max_ms=100,
            metrics_registry=metrics_registry,
        ) as consumer_bus,
        RedisBus(redis_url, prefix=redis_prefix) as producer,
    ):
        subscription = await consumer_bus.subscribe("s", "g", "c", handler, batch_size=50, block_ms=200)
        total = 0
        for round_ in range(5):
            await producer.publish_many("s", envelopes(200, start=total))
            total += 200
            await asyncio.sleep(0.05)
            assert await asyncio.to_thread(_kill_connections, redis_url, name) >= 1, round_
        await wait_until(lambda: len(set(seen)) == total, timeout_s=15)

        async def nothing_pending() -> bool:
            return await consumer_bus.pending_count("s", "g") == 0

        await wait_until(nothing_pending, timeout_s=15)
        assert sorted(set(seen)) == list(range(total))
        assert not subscription.done
    assert metrics_registry.get_sample_value("pulse_bus_reconnects_total", {"backend": "redis"}) >= 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _PrivateRedis:
    """A redis-server of our own (AOF on, fsync always) that a test may kill and restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis(port=self.port, socket_connect_timeout=0.2) as probe:
                    probe.ping()
                    return
            except redis.exceptions.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[_PrivateRedis]:
    if shutil.which("redis-server") is None:
        if services_required():
            pytest.fail("redis-server is not installed and MDP_REQUIRE_SERVICES=1")
        pytest.skip("redis-server is not installed")
    server = _PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
async def test_consumer_loop_survives_a_redis_restart(private_redis: _PrivateRedis) -> None:
    seen: list[int] = []

    async def handler(batch: list[Delivery]) -> None:
        seen.extend(seqs(batch))

    options = {"claim_idle_ms": 300, "retry_base_ms": 20, "retry_max_ms": 200, "retry_attempts": 3}
    async with RedisBus(private_redis.url, **options) as consumer_bus:  # type: ignore[arg-type]
        subscription = await consumer_bus.subscribe("s", "g", "c", handler, batch_size=20, block_ms=200)
        async with RedisBus(private_redis.url) as producer:
            await producer.publish_many("s", envelopes(100))
        await wait_until(lambda: len(seen) >= 100)

        await asyncio.to_thread(private_redis.stop)
        await asyncio.sleep(0.5)  # the loop now retries against a dead server
        assert not subscription.done
        await asyncio.to_thread(private_redis.start)

        async with RedisBus(private_redis.url) as producer:
            await producer.publish_many("s", envelopes(100, start=100))
        await wait_until(lambda: set(range(200)) <= set(seen), timeout_s=20)
        assert not subscription.done


async def test_unreachable_redis_raises_bus_unavailable_after_retries() -> None:
    bus = RedisBus(f"redis://127.0.0.1:{_free_port()}/0", retry_attempts=2, retry_base_ms=1, retry_max_ms=5)
    with pytest.raises(BusUnavailable, match="unavailable"):
        await bus.start()
    with pytest.raises(BusUnavailable):
        await bus.publish("s", envelopes(1)[0])
    await bus.close()


def test_a_missing_redis_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(MissingDependency, match=r"mdp\[redis\]"):
        RedisBus()


async def test_redis_error_replies_are_pulse_errors_not_unavailability(
    redis_url: str, redis_prefix: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(redis_prefix + "not-a-stream", "x")
    finally:
        client.close()
    async with RedisBus(redis_url, prefix=redis_prefix) as bus:
        with pytest.raises(PulseError, match="WRONGTYPE") as caught:
            await bus.publish_many("not-a-stream", envelopes(3))
        assert not isinstance(caught.value, BusUnavailable)
        # The connection stayed in step: the next call on it works.
        assert await bus.publish("fine", envelopes(1)[0])
        with pytest.raises(InvalidEntryId):
            await bus.read_range("fine", "yesterday")
        with pytest.raises(GroupNotFound):
            await bus.read("fine", "missing", "c")


async def test_subscription_recreates_a_vanished_group(redis_url: str, redis_prefix: str) -> None:
    """A Redis restarted without persistence loses its groups; the loop recreates its group and goes on."""
    seen: list[int] = []

    async def handler(batch: list[Delivery]) -> None:
        seen.extend(seqs(batch))

    async with RedisBus(redis_url, prefix=redis_prefix, retry_base_ms=10, retry_max_ms=50) as bus:
        subscription = await bus.subscribe("s", "g", "c", handler, block_ms=100)
        await bus.publish_many("s", envelopes(10))
        await wait_until(lambda: len(seen) == 10)
        admin = redis.Redis.from_url(redis_url)
        try:
            assert admin.xgroup_destroy(redis_prefix + "s", "g") == 1
        finally:
            admin.close()
        await bus.publish_many("s", envelopes(5, start=10))
        await wait_until(lambda: set(range(15)) <= set(seen))
        assert not subscription.done
