"""Pipeline throughput: Redis -> validate -> Redis, against a raw XREADGROUP + XADD pass-through.

Scenarios, each on a fresh input stream of N md.bar envelopes (1 % invalid, strict mode), each consumer in
its own process (``multiprocessing`` spawn) so CPU time is measured per process:

* ``raw``: redis-py asyncio, ``XREADGROUP COUNT batch`` then one non-transactional pipeline of
  ``XADD`` per entry (the bytes unchanged) plus ``XACK``: a pass-through that validates nothing;
* ``pipeline x1``: one :class:`mdp.pipeline.service.PipelineService` doing exactly what
  ``mdp pipeline run`` does per batch (read, decode envelopes, enforce against md.Bar, forward raw bytes,
  dead-letter rejections, ack);
* ``pipeline x2``: two such processes in one consumer group.

Prints msgs/s by wall clock and by CPU second of the consumer processes (the machine is shared), and the
ratios to the raw pass-through. Keys live under a unique prefix and are deleted afterwards.

    uv run python bench/bench_pipeline.py --messages 100000 --batch 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
import uuid
from typing import Any

import orjson
import redis

RAW, OUT, DLQ, GROUP = "md.bars.raw", "md.bars", "md.bars.dlq", "pipeline"


def bar(index: int) -> bytes:
    payload: dict[str, Any] = {
        "symbol": "AAPL", "timeframe": "1m", "ts": "2025-10-18T14:30:00Z", "open": 189.1, "high": 189.5,
        "low": 188.9, "close": 189.3, "volume": float(index), "vwap": 189.2, "trade_count": 321,
        "source": "iex",
    }  # fmt: skip
    if index % 100 == 99:
        payload["open"] = -1.0  # 1 % invalid
    envelope = {
        "id": f"b-{index:08d}", "type": "md.bar", "ts": 1729000000.0 + index, "source": "bench",
        "schema": {"track": "v1", "name": "md.Bar", "sha256": None}, "payload": payload,
    }  # fmt: skip
    return orjson.dumps(envelope)


def fill(url: str, prefix: str, count: int) -> None:
    client = redis.Redis.from_url(url)
    key = prefix + RAW
    for start in range(0, count, 5000):
        pipe = client.pipeline(transaction=False)
        for index in range(start, min(count, start + 5000)):
            pipe.xadd(key, {"envelope": bar(index)})
        pipe.execute()
    client.xgroup_create(key, GROUP, "0")
    client.close()


async def _raw_worker(url: str, prefix: str, consumer: str, batch: int) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    key, out = prefix + RAW, prefix + OUT
    while True:
        reply = await client.xreadgroup(GROUP, consumer, {key: ">"}, count=batch, block=200)
        if not reply:
            break
        entries = reply[0][1]
        pipe = client.pipeline(transaction=False)
        for _, fields in entries:
            pipe.xadd(out, {"envelope": fields[b"envelope"]})
        pipe.xack(key, GROUP, *[entry_id for entry_id, _ in entries])
        await pipe.execute()
    await client.aclose()


async def _pipeline_worker(url: str, prefix: str, consumer: str, batch: int) -> None:
    from prometheus_client import CollectorRegistry

    from mdp.contracts.bundled import bundled_schema
    from mdp.enforcement import Enforcer, MemorySchemaProvider, enforcement_metrics
    from mdp.pipeline.feedback import FlowController
    from mdp.pipeline.metrics import pipeline_metrics
    from mdp.pipeline.service import PipelineService
    from mdp.pulse.redis import RedisBus

    registry = CollectorRegistry()
    schemas = MemorySchemaProvider()
    schemas.put("v1", "md.Bar", bundled_schema("v1", "md.Bar"))
    enforcer = Enforcer(
        schemas=schemas, mode="strict", metrics=enforcement_metrics(registry),
        bindings={RAW: ("v1", "md.Bar")}, log_failures=False,
    )  # fmt: skip
    async with RedisBus(url, prefix=prefix, metrics_registry=registry) as bus:
        service = PipelineService(
            bus, enforcer, input_stream=RAW, output_stream=OUT, dlq_stream=DLQ, consumer=consumer,
            metrics=pipeline_metrics(registry), flow=FlowController(ttl_s=30, soft_delay_s=0),
            batch_size=batch,
        )  # fmt: skip
        while True:
            deliveries = await bus.read(RAW, GROUP, consumer, count=batch, block_ms=200)
            if not deliveries:
                break
            await service.process(deliveries)


def _child(kind: str, url: str, prefix: str, consumer: str, batch: int, start: Any, results: Any) -> None:
    import uvloop

    start.wait()
    cpu = time.process_time()
    worker = _raw_worker if kind == "raw" else _pipeline_worker
    uvloop.run(worker(url, prefix, consumer, batch))
    results.put((time.monotonic(), time.process_time() - cpu))


def scenario(kind: str, processes: int, url: str, count: int, batch: int) -> tuple[float, float]:
    """(msgs/s wall, msgs/s per CPU second) for one run on a fresh stream."""
    prefix = f"bench:{uuid.uuid4().hex[:10]}:"
    fill(url, prefix, count)
    context = mp.get_context("spawn")
    start, results = context.Event(), context.Queue()
    children = [
        context.Process(target=_child, args=(kind, url, prefix, f"c{i}", batch, start, results))
        for i in range(processes)
    ]
    for child in children:
        child.start()
    time.sleep(1.5)  # let the children import everything before the clock starts
    began = time.monotonic()
    start.set()
    finished = [results.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    # Each child ends after one empty 200 ms read: subtract it from the wall time.
    wall = max(end for end, _ in finished) - began - 0.2
    cpu = sum(cpu for _, cpu in finished)
    client = redis.Redis.from_url(url)
    forwarded, dead = client.xlen(prefix + OUT), client.xlen(prefix + DLQ)
    pending = client.xpending(prefix + RAW, GROUP)["pending"]
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()
    assert pending == 0, f"{pending} left pending"
    assert forwarded + dead == count, (forwarded, dead, count)
    if kind != "raw":
        assert dead == count // 100, dead
    return count / wall, count / cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--redis-url", default=os.environ.get("MDP_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    best: dict[str, list[tuple[float, float]]] = {"raw": [], "pipeline x1": [], "pipeline x2": []}
    for _ in range(args.repeat):  # interleaved, so load changes hit every scenario alike
        best["raw"].append(scenario("raw", 1, args.redis_url, args.messages, args.batch))
        best["pipeline x1"].append(scenario("pipeline", 1, args.redis_url, args.messages, args.batch))
        best["pipeline x2"].append(scenario("pipeline", 2, args.redis_url, args.messages, args.batch))
    load = os.getloadavg()[0]
    print(f"messages {args.messages}, batch {args.batch}, best of {args.repeat}, load average {load:.1f}")
    raw_wall = max(wall for wall, _ in best["raw"])
    raw_cpu = max(cpu for _, cpu in best["raw"])
    for name, runs in best.items():
        wall = max(run[0] for run in runs)
        cpu = max(run[1] for run in runs)
        worst = min(run[0] for run in runs)
        print(
            f"  {name:<12} {wall:>10,.0f} msgs/s wall (worst {worst:,.0f}) = {wall / raw_wall:5.2f}x raw   "
            f"{cpu:>10,.0f} msgs/CPU-s = {cpu / raw_cpu:5.2f}x raw"
        )


if __name__ == "__main__":
    main()
