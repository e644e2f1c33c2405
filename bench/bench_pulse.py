"""Pulse throughput against raw redis-py in the same run, plus the in-memory bus.

Measured (messages of ~340 bytes, batches of ``--batch``):

* publish:  ``RedisBus.publish_many``  vs  a non-transactional redis-py pipeline of XADD MAXLEN ~
* consume:  ``RedisBus.read`` + ``ack``  vs  redis-py ``xreadgroup`` + ``xack`` (each entry JSON-decoded)
* relay:    read a batch, publish it to a second stream, then ack (the enforcement pipeline's shape)
            vs the same with raw redis-py
* in-memory: ``InMemoryBus`` publish_many, read + ack

Both sides encode/decode every message (orjson); Pulse additionally validates envelopes and maps replies to
``Delivery`` objects. Keys live under a unique prefix and are deleted afterwards.

    uv run python bench/bench_pulse.py [--messages 100000] [--batch 1000] [--repeat 3] [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable
from typing import Any

import orjson
import redis.asyncio as aioredis

from mdp.pulse import Envelope, EventBus, InMemoryBus, SchemaRef
from mdp.pulse.redis import RedisBus

MAXLEN = 2_000_000


def make_envelopes(count: int) -> list[Envelope]:
    ref = SchemaRef("v1", "md.Bar", "0" * 64)
    return [
        Envelope.create(
            "md.bar",
            {
                "symbol": "AAPL",
                "timeframe": "1m",
                "ts": 1729000000 + i,
                "open": 227.5,
                "high": 228.1,
                "low": 227.2,
                "close": 227.9,
                "volume": 15320 + i,
            },
            source="bench",
            schema=ref,
        )
        for i in range(count)
    ]


async def timed(count: int, work: Awaitable[Any]) -> float:
    started = time.perf_counter()
    await work
    return count / (time.perf_counter() - started)


def report(label: str, rates: list[float]) -> float:
    best = max(rates)
    print(f"  {label:<44} {best:>12,.0f} msgs/s  (best of {len(rates)}; worst {min(rates):,.0f})")
    return best


# raw redis-py baselines ------------------------------------------------------------------------------------
async def raw_publish(client: Any, key: str, dicts: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(dicts), batch):
        pipe = client.pipeline(transaction=False)
        for value in dicts[start : start + batch]:
            pipe.xadd(key, {"envelope": orjson.dumps(value)}, maxlen=MAXLEN, approximate=True)
        await pipe.execute()


async def raw_consume(client: Any, key: str, group: str, total: int, batch: int) -> None:
    await client.xgroup_create(key, group, id="0", mkstream=True)
    done = 0
    while done < total:
        reply = await client.xreadgroup(group, "c", {key: ">"}, count=batch, block=1000)
        entries = reply[0][1]
        for _entry_id, fields in entries:
            orjson.loads(fields[b"envelope"])
        await client.xack(key, group, *[entry_id for entry_id, _ in entries])
        done += len(entries)


async def raw_relay(client: Any, source: str, target: str, group: str, total: int, batch: int) -> None:
    await client.xgroup_create(source, group, id="0", mkstream=True)
    done = 0
    while done < total:
        reply = await client.xreadgroup(group, "c", {source: ">"}, count=batch, block=1000)
        entries = reply[0][1]
        pipe = client.pipeline(transaction=False)
        for _entry_id, fields in entries:
            value = orjson.loads(fields[b"envelope"])
            pipe.xadd(target, {"envelope": orjson.dumps(value)}, maxlen=MAXLEN, approximate=True)
        await pipe.execute()
        await client.xack(source, group, *[entry_id for entry_id, _ in entries])
        done += len(entries)


# Pulse ---------------------------------------------------------------------------------------------------
async def bus_publish(bus: EventBus, stream: str, envelopes: list[Envelope], batch: int) -> None:
    for start in range(0, len(envelopes), batch):
        await bus.publish_many(stream, envelopes[start : start + batch])


async def bus_consume(bus: EventBus, stream: str, group: str, total: int, batch: int) -> None:
    await bus.ensure_group(stream, group)
    done = 0
    while done < total:
        got = await bus.read(stream, group, "c", count=batch, block_ms=1000)
        await bus.ack(stream, group, [delivery.message_id for delivery in got])
        done += len(got)


async def bus_relay(bus: EventBus, source: str, target: str, group: str, total: int, batch: int) -> None:
    await bus.ensure_group(source, group)
    done = 0
    while done < total:
        got = await bus.read(source, group, "c", count=batch, block_ms=1000)
        await bus.publish_many(target, [d.envelope for d in got if d.envelope is not None])
        await bus.ack(source, group, [delivery.message_id for delivery in got])
        done += len(got)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    n, batch = args.messages, args.batch

    envelopes = make_envelopes(n)
    dicts = [orjson.loads(envelope.to_json()) for envelope in envelopes]
    size = len(envelopes[0].to_json())
    print(f"{n:,} messages of {size} bytes, batches of {batch}, best of {args.repeat} alternating runs\n")

    prefix = f"mdpbench:{uuid.uuid4().hex[:8]}:"
    client = aioredis.Redis.from_url(args.redis)
    bus = RedisBus(args.redis, prefix=prefix + "pulse:", maxlen=MAXLEN)
    try:
        print("Redis Streams")
        ratios: dict[str, float] = {}
        for name, raw_work, bus_work in (
            (
                "publish",
                lambda r: raw_publish(client, f"{prefix}raw:s{r}", dicts, batch),
                lambda r: bus_publish(bus, f"s{r}", envelopes, batch),
            ),
            (
                "consume (read + ack)",
                lambda r: raw_consume(client, f"{prefix}raw:s{r}", "g", n, batch),
                lambda r: bus_consume(bus, f"s{r}", "g", n, batch),
            ),
            (
                "relay (read, publish, ack)",
                lambda r: raw_relay(client, f"{prefix}raw:s{r}", f"{prefix}raw:out{r}", "relay", n, batch),
                lambda r: bus_relay(bus, f"s{r}", f"out{r}", "relay", n, batch),
            ),
        ):
            raw_rates, bus_rates = [], []
            for r in range(args.repeat):  # alternate, so load from other processes hits both sides alike
                raw_rates.append(await timed(n, raw_work(r)))
                bus_rates.append(await timed(n, bus_work(r)))
            raw_best = report(f"{name}: raw redis-py", raw_rates)
            bus_best = report(f"{name}: RedisBus", bus_rates)
            ratios[name] = bus_best / raw_best
        print("\n  ratios (RedisBus / raw redis-py, best runs):")
        for name, ratio in ratios.items():
            print(f"    {name:<28} {ratio:.2f}x")
    finally:
        await bus.close()
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()

    print("\nIn-memory")
    memory_rates: dict[str, list[float]] = {"publish": [], "consume": [], "relay": []}
    for _ in range(args.repeat):
        async with InMemoryBus(maxlen=MAXLEN) as memory:
            memory_rates["publish"].append(await timed(n, bus_publish(memory, "s", envelopes, batch)))
            memory_rates["consume"].append(await timed(n, bus_consume(memory, "s", "g", n, batch)))
            memory_rates["relay"].append(await timed(n, bus_relay(memory, "s", "out", "r", n, batch)))
    report("publish: InMemoryBus", memory_rates["publish"])
    report("consume (read + ack): InMemoryBus", memory_rates["consume"])
    report("relay (read, publish, ack): InMemoryBus", memory_rates["relay"])


if __name__ == "__main__":
    asyncio.run(main())
