"""Registry read throughput vs a trivial FastAPI route, one uvicorn worker each, measured in one run.

    uv run python bench/bench_registry.py [--seconds 5] [--connections 32]

Servers (each its own process, uvicorn + uvloop + httptools, access log off):

* baseline: a FastAPI app with one ``GET /ping`` returning ``{"ok": true}``;
* registry: ``mdp registry serve`` on a fresh SQLite file, seeded with the bundled contracts;
* registry, cache TTL 0: the same, re-checking the track revisions in the database on every request.

The load generator runs in a separate process: keep-alive HTTP/1.1 over raw asyncio streams (far cheaper
per request than an HTTP client library, so the server is what gets measured), N connections each
sending requests back to back, for a fixed time after a warm-up. Every response must be 200.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TOKEN = "bench-token"
MDP = str(Path(sys.executable).with_name("mdp"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the baseline server -------------------------------------------------------------------------------
def serve_baseline(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


# -- the load generator --------------------------------------------------------------------------------
async def _connection(port: int, request: bytes, until: float, warm: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            now = time.perf_counter()
            if now >= until:
                return
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            if status != b"200":
                raise RuntimeError(f"unexpected status {status!r}")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if now >= warm:
                counts[0] += 1
    finally:
        writer.close()


def load(port: int, path: str, seconds: float, connections: int, warmup: float) -> dict[str, float]:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode()
    counts = [0]

    async def run() -> None:
        start = time.perf_counter()
        warm, until = start + warmup, start + warmup + seconds
        await asyncio.gather(*(_connection(port, request, until, warm, counts) for _ in range(connections)))

    asyncio.run(run())
    return {"requests": counts[0], "rps": counts[0] / seconds}


def measure(port: int, path: str, seconds: float, connections: int) -> float:
    """Run the load generator in its own process and return requests per second."""
    output = subprocess.run(
        [sys.executable, __file__, "--load", str(port), path, str(seconds), str(connections)],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    return float(json.loads(output)["rps"])


# -- orchestration -------------------------------------------------------------------------------------
def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def start_registry(data_dir: Path, port: int, ttl_ms: int) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MDP_", "REGISTRY_"))},
        "MDP_DATA_DIR": str(data_dir), "ADMIN_TOKEN": TOKEN, "MDP_LOG_LEVEL": "WARNING",
        "MDP_REGISTRY_CACHE_TTL_MS": str(ttl_ms),
    }  # fmt: skip
    process = subprocess.Popen([MDP, "registry", "serve", "--port", str(port)], env=env)
    wait_ready(f"http://127.0.0.1:{port}/health", process)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return
    if args.load:
        port, path, seconds, connections = args.load
        print(json.dumps(load(int(port), path, float(seconds), int(connections), warmup=1.0)))
        return

    from mdp.registry.seed import seed_over_http

    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="mdp-bench-") as tmp:
            baseline_port = free_port()
            processes.append(
                subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(baseline_port)])
            )
            wait_ready(f"http://127.0.0.1:{baseline_port}/ping", processes[-1])
            cached_port, uncached_port = free_port(), free_port()
            processes.append(start_registry(Path(tmp) / "cached", cached_port, ttl_ms=500))
            processes.append(start_registry(Path(tmp) / "uncached", uncached_port, ttl_ms=0))
            for port in (cached_port, uncached_port):
                report = seed_over_http(f"http://127.0.0.1:{port}", TOKEN)
                assert report.ok, report
                assert len(report.created) == 20, report
            targets = [
                ("baseline GET /ping", baseline_port, "/ping"),
                ("registry GET /schemas/v1", cached_port, "/schemas/v1"),
                ("registry GET /schemas/v1/md.Bar", cached_port, "/schemas/v1/md.Bar"),
                ("registry (TTL 0) GET /schemas/v1", uncached_port, "/schemas/v1"),
                ("registry (TTL 0) GET /schemas/v1/md.Bar", uncached_port, "/schemas/v1/md.Bar"),
            ]
            for label, port, path in targets:
                # Only the server under test should be busy: the others idle while it is measured.
                results[label] = measure(port, path, args.seconds, args.connections)
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)

    baseline = results["baseline GET /ping"]
    setup = f"{args.connections} connections, {args.seconds:g} s per target (after 1 s warm-up)"
    print(f"\n{setup}, 1 uvicorn worker per server")
    print(f"{'target':44} {'req/s':>10} {'vs baseline':>12}")
    for label, rps in results.items():
        print(f"{label:44} {rps:10.0f} {rps / baseline:12.2f}")


if __name__ == "__main__":
    main()
