"""Benchmark the registry client SDK; every number is printed next to a baseline measured in the same run.

1. Cache hit: ``client.cached(track, name)`` (metrics included) against a bare ``dict.get`` of the same
   key. Target: <= 2 us per hit.
2. Index poll of a track with N (default 1,000) published schemas, against a real ``mdp registry serve``
   started here (SQLite under a temporary MDP_DATA_DIR): a full poll (``sync_track(force=True)``:
   GET + read + validate + diff against a warm cache) against a bare ``httpx`` GET of the same URL
   (body read, nothing parsed). Target: <= 100 ms. Also shown: the 304 poll, a poll after one schema
   changed (one content fetch + snapshot write + callback) and the cold first sync.

    uv run python bench/bench_client.py [--schemas 1000] [--rounds 30] [--registry-url URL --token T]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from mdp.client import RegistryClient, RetryPolicy, SchemaCache, SyncRegistryClient
from mdp.client.cache import content_sha256
from mdp.client.models import IndexEntry, TrackIndex

TRACK = "v2"  # compatibility NONE: publishing 1,000 schemas needs no compatibility history
TOKEN = "bench-admin-token"


def schema_body(index: int, revision: int = 0) -> dict[str, Any]:
    properties = {f"f{field}": {"type": "number", "minimum": 0} for field in range(8)}
    properties["rev"] = {"const": revision}
    return {"type": "object", "title": f"Bench{index}", "properties": properties, "required": ["f0", "f1"]}


def bench_cache_hit(count: int) -> None:
    cache = SchemaCache()
    entries = [
        IndexEntry(
            name=f"bench.S{i}",
            version="1.0.0",
            sha256=content_sha256(schema_body(i)),
            schema_id=i + 1,
            state="active",
            updated_at="2026-11-25T17:30:00Z",  # type: ignore[arg-type]
        )
        for i in range(count)
    ]
    contents = {entry.sha256: schema_body(i) for i, entry in enumerate(entries)}
    cache.apply_index(TrackIndex(track="v1", revision=1, schemas=tuple(entries)), '"x"', contents)  # type: ignore[arg-type]
    client = RegistryClient(cache=cache, metrics_registry=CollectorRegistry())
    flat = {(record.track, record.name): record for record in cache.records("v1")}
    name = f"bench.S{count // 2}"
    assert client.cached("v1", name) is not None

    number = 1_000_000
    baseline = min(timeit.repeat(lambda: flat.get(("v1", name)), number=number, repeat=5)) / number
    hit = min(timeit.repeat(lambda: client.cached("v1", name), number=number, repeat=5)) / number
    miss = min(timeit.repeat(lambda: client.cached("v1", "bench.Nope"), number=number, repeat=5)) / number
    print(f"## 1. cache hit ({count} records cached, best of 5 x {number:,} calls)")
    print(f"   baseline dict.get(key)        {baseline * 1e9:8.0f} ns")
    print(
        f"   client.cached(track, name)    {hit * 1e9:8.0f} ns   ratio {hit / baseline:5.1f}x",
        "  target <= 2000 ns",
    )
    print(f"   client.cached(...) miss       {miss * 1e9:8.0f} ns")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def registry_process(data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "MDP_DATA_DIR": str(data_dir), "ADMIN_TOKEN": TOKEN, "MDP_LOG_LEVEL": "WARNING"}
    env.pop("MDP_DATABASE_URL", None)
    command = [str(Path(sys.executable).parent / "mdp"), "registry", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"registry exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def seed(url: str, token: str, count: int) -> None:
    with SyncRegistryClient(url, admin_token=token, trust_env=False, timeout=30) as admin:
        present = {entry.name for entry in admin.get_index(TRACK).schemas}
        started = time.perf_counter()
        for i in range(count):
            if f"bench.S{i}" not in present:
                admin.publish(TRACK, f"bench.S{i}", schema_body(i))
        print(f"   seeded {count} schemas in {time.perf_counter() - started:.1f} s")


async def timed(rounds: int, action: Callable[[], Awaitable[Any]]) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return samples


def describe(label: str, samples: list[float], baseline: float | None = None) -> float:
    median = statistics.median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    ratio = f"   ratio {median / baseline:5.2f}x" if baseline else ""
    print(f"   {label:<38} median {median * 1e3:7.2f} ms   p95 {p95 * 1e3:7.2f} ms{ratio}")
    return median


async def bench_poll(url: str, token: str, count: int, rounds: int, cache_dir: Path) -> None:
    print(f"\n## 2. index poll of {count} schemas ({rounds} rounds each; registry at {url})")
    seed(url, token, count)
    async with httpx.AsyncClient(base_url=url, trust_env=False) as bare:
        size = len((await bare.get(f"/schemas/{TRACK}")).content)
        print(f"   index body: {size:,} bytes")
        baseline = describe(
            "baseline: bare httpx GET", await timed(rounds, lambda: bare.get(f"/schemas/{TRACK}"))
        )

    retry = RetryPolicy(attempts=1)
    async with RegistryClient(
        url,
        admin_token=token,
        cache_dir=cache_dir,
        metrics_registry=CollectorRegistry(),
        retry=retry,
        trust_env=False,
        timeout=30,
    ) as client:
        started = time.perf_counter()
        cold = await client.sync_track(TRACK)
        print(
            f"   cold first sync ({len(cold.changes)} contents fetched + snapshot): "
            f"{(time.perf_counter() - started) * 1e3:.0f} ms"
        )
        full = describe(
            "full poll: GET + parse + diff",
            await timed(rounds, lambda: client.sync_track(TRACK, force=True)),
            baseline,
        )
        describe("304 poll (If-None-Match)", await timed(rounds, lambda: client.sync_track(TRACK)), baseline)

        swapped: list[str | None] = []
        client.on_change(lambda _t, _n, _old, new: swapped.append(new))
        changed_samples = []
        with SyncRegistryClient(url, admin_token=token, trust_env=False, timeout=30) as admin:
            for revision in range(1, min(rounds, 20) + 1):
                admin.publish(TRACK, "bench.S0", schema_body(0, revision))
                started = time.perf_counter()
                result = await client.sync_track(TRACK)
                changed_samples.append(time.perf_counter() - started)
                assert len(result.changes) == 1, result
        describe("poll after 1 change (+fetch, snapshot)", changed_samples, baseline)
        assert len(swapped) == len(changed_samples)
    verdict = "meets" if full <= 0.100 else "MISSES"
    print(f"   full poll {verdict} the 100 ms target ({full * 1e3:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schemas", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--registry-url", help="use this registry instead of starting one")
    parser.add_argument("--token", default=TOKEN)
    args = parser.parse_args()
    bench_cache_hit(args.schemas)
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp) / "registry-cache"
        if args.registry_url:
            asyncio.run(bench_poll(args.registry_url, args.token, args.schemas, args.rounds, cache_dir))
        else:
            with registry_process(Path(tmp) / "registry-data") as url:
                asyncio.run(bench_poll(url, TOKEN, args.schemas, args.rounds, cache_dir))


if __name__ == "__main__":
    main()
