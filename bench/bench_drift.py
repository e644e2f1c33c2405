"""Benchmark drift checks; every number is printed next to a baseline measured in the same run.

Against a real ``mdp registry serve`` started here (SQLite under a temporary MDP_DATA_DIR), with N schemas
(default 200) published to track v2, D of them (default 5) then moved to a new version, so D local copies
drift:

1. ``mdp drift check`` as the CLI runs it (``check_registry``: fresh client, one index request, the D
   drifted contents, the track config, the D version histories, classification) against the seeds'
   ``check_schema_drift.py`` approach: one ``GET /schemas/{track}/{name}`` per local schema, comparing the
   sha256 of each answer (no classification). Both on one ``httpx`` connection pool.
2. The runtime watcher's steady state (``DriftWatcher.check_once`` with a warm client: a 304 conditional
   index request, then the same classification work) against a bare ``httpx`` GET of the index.

    uv run python bench/bench_drift.py [--schemas 200] [--drifted 5] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from mdp.client import RegistryClient, SyncRegistryClient
from mdp.client.cache import content_sha256
from mdp.drift import DriftReporter, DriftWatcher, LocalSchema
from mdp.drift.check import check_registry

TRACK = "v2"  # compatibility NONE: any new version is accepted
TOKEN = "bench-admin-token"


def schema_body(index: int, revision: int = 0) -> dict[str, Any]:
    properties: dict[str, Any] = {f"f{field}": {"type": "number", "minimum": 0} for field in range(8)}
    if revision:
        properties["added"] = {"type": "string"}
    return {"type": "object", "title": f"Bench{index}", "properties": properties, "required": ["f0", "f1"]}


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


def seed(url: str, count: int, drifted: int) -> dict[str, LocalSchema]:
    local: dict[str, LocalSchema] = {}
    with SyncRegistryClient(url, admin_token=TOKEN, trust_env=False, timeout=30) as admin:
        for index in range(count):
            content = schema_body(index)
            admin.publish(TRACK, f"bench.S{index}", content)
            local[f"bench.S{index}"] = LocalSchema(f"bench.S{index}", content_sha256(content), None, content)
        for index in range(drifted):
            admin.publish(TRACK, f"bench.S{index}", schema_body(index, revision=1))
    return local


async def timed(rounds: int, action: Callable[[], Awaitable[Any]]) -> list[float]:
    await action()  # warm-up
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def describe(label: str, samples: list[float], baseline: float | None = None) -> float:
    median = statistics.median(samples)
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    ratio = f"  ({median / baseline:.2f}x of baseline)" if baseline else ""
    print(f"{label:<70} median {median:8.2f} ms  p95 {p95:8.2f} ms{ratio}")
    return median


async def bench(url: str, local: dict[str, LocalSchema], rounds: int, drifted: int) -> None:
    async with httpx.AsyncClient(base_url=url, trust_env=False) as http:

        async def seed_approach() -> None:
            found = 0
            for name, mine in local.items():
                record = (await http.get(f"/schemas/{TRACK}/{name}")).json()
                found += record["sha256"] != mine.sha256
            assert found == drifted

        async def bare_index() -> None:
            (await http.get(f"/schemas/{TRACK}")).read()

        baseline = describe(
            f"seeds' approach: {len(local)} x GET /schemas/{{track}}/{{name}}, compare sha256",
            await timed(rounds, seed_approach),
        )

        async def drift_check() -> None:
            result = await check_registry(url, TRACK, local, now=time.time())
            assert result.counts["drifted"] == drifted

        describe(
            "mdp drift check (fresh client: index + drifted contents + classify)",
            await timed(rounds, drift_check),
            baseline,
        )

        index_baseline = describe(
            "bare GET /schemas/{track} (body read, nothing parsed)", await timed(rounds, bare_index)
        )
        async with RegistryClient(url, trust_env=False, metrics_registry=CollectorRegistry()) as client:
            watcher = DriftWatcher(client, DriftReporter(), TRACK, local)

            async def watcher_check() -> None:
                result = await watcher.check_once()
                assert result is not None
                assert result.counts["drifted"] == drifted

            describe(
                "watcher check_once, warm client (304 index + classify)",
                await timed(rounds, watcher_check),
                index_baseline,
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schemas", type=int, default=200)
    parser.add_argument("--drifted", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("mdp").setLevel(logging.ERROR)  # the reporter's "drift detected" warnings, 20x per run
    with tempfile.TemporaryDirectory() as data_dir, registry_process(Path(data_dir)) as url:
        started = time.perf_counter()
        local = seed(url, args.schemas, args.drifted)
        elapsed = time.perf_counter() - started
        print(f"published {args.schemas} schemas ({args.drifted} moved on) in {elapsed:.1f} s")
        try:
            load = os.getloadavg()[0]
            print(f"load average {load:.1f}")
        except OSError:
            pass
        asyncio.run(bench(url, local, args.rounds, args.drifted))


if __name__ == "__main__":
    main()
