"""``mdp orchestrator serve`` and ``mdp enforcement readiness`` as real processes on Redis Streams.

A real registry process, a real orchestrator process reading Redis under this test's key prefix, and
telemetry published the way a pipeline and a drift reporter publish it. Covers the CLI's exit codes
(0 all GO, 1 a finding, 2 unreachable / refused) and a restart that rebuilds the state from the streams.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mdp.pulse import Envelope, streams
from tests.integration.registry_process import RegistryProcess, free_port, mdp_executable
from tests.unit.orchestrator.events import drift, stats

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.redis]


def base_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MDP_", "REGISTRY_"))}
    env.update({"MDP_LOG_LEVEL": "WARNING", **extra})
    if "MDP_REQUIRE_SERVICES" in os.environ:
        env["MDP_REQUIRE_SERVICES"] = os.environ["MDP_REQUIRE_SERVICES"]
    return env


@contextmanager
def orchestrator_process(env: dict[str, str], logs: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with logs.open("ab") as log:
        process = subprocess.Popen(
            [mdp_executable(), "orchestrator", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"orchestrator exited early:\n{logs.read_text()[-3000:]}"
            try:
                health = httpx.get(f"{url}/health", timeout=1)
                if health.status_code == 200 and health.json()["components"][0]["state"] == "healthy":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (
                f"orchestrator never became healthy:\n{logs.read_text()[-3000:]}"
            )
            time.sleep(0.1)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                assert process.wait(15) == 0
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError("the orchestrator did not stop promptly") from None


def publish(redis_url: str, prefix: str, stream: str, *models: Any) -> None:
    from mdp.pulse.redis import RedisBus

    async def run() -> None:
        async with RedisBus(redis_url, prefix=prefix) as bus:
            for model in models:
                payload = model.model_dump(mode="json", by_alias=True)
                await bus.publish(stream, Envelope.create(stream, payload, source="e2e"))

    asyncio.run(run())


def readiness(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [mdp_executable(), "enforcement", "readiness", "--orchestrator-url", url, *args],
        env=base_env(COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=30,
    )


def wait_for(check: Any, timeout_s: float = 15) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)
    return result


def test_readiness_exit_codes_and_a_restart(tmp_path: Path, redis_url: str, redis_prefix: str) -> None:
    registry = RegistryProcess(tmp_path / "registry", "e2e-token")
    registry.start()
    try:
        env = base_env(
            EVENT_BUS_BACKEND="redis",
            MDP_REDIS_URL=redis_url,
            MDP_PULSE_PREFIX=redis_prefix,
            REGISTRY_URL=registry.url,
            MDP_DATA_DIR=str(tmp_path / "orchestrator"),
            MDP_ORCHESTRATOR_READINESS_MIN_MESSAGES="100",
            MDP_ORCHESTRATOR_READINESS_MIN_COVERAGE="0",
        )
        logs = tmp_path / "orchestrator.log"
        now = time.time()
        publish(redis_url, redis_prefix, streams.VALIDATION, stats(now - 120, total=1000, would_reject=2))
        with orchestrator_process(env, logs) as url:
            wait_for(lambda: httpx.get(f"{url}/api/state").json()["registry"]["up"] is True)
            go = readiness(url, "--window", "1h")
            assert go.returncode == 0, go.stdout + go.stderr
            assert "warn -> strict over 1h: GO" in go.stdout
            assert "md.Bar" in go.stdout

            as_json = readiness(url, "--window", "1h", "--json")
            assert as_json.returncode == 0
            report = json.loads(as_json.stdout)
            assert (report["verdict"], report["schemas"][0]["rejected"]) == ("GO", 2)

            refused = readiness(url, "--window", "30d")  # longer than the 8 day retention
            assert refused.returncode == 2
            assert "longer than the validation retention" in refused.stderr

            publish(
                redis_url,
                redis_prefix,
                streams.VALIDATION,
                stats(now - 60, total=1000, would_reject=30, schema="md.Quote"),
            )
            publish(redis_url, redis_prefix, streams.SCHEMA_DRIFT, drift(now - 30, classification="safe"))
            wait_for(lambda: readiness(url, "--window", "1h").returncode == 1)
            no_go = readiness(url, "--window", "1h")
            assert "NO-GO" in no_go.stdout
            assert "3% (30 of 1000)" in no_go.stdout

        # Down: exit 2. Then a fresh process rebuilds drift and validation state from the streams.
        gone = readiness(url, "--window", "1h")
        assert gone.returncode == 2
        assert "unreachable" in gone.stderr
        with orchestrator_process(env, logs) as url:
            drifts = httpx.get(f"{url}/drift").json()["drifts"]
            assert [(d["repo"], d["schema"], d["active"], d["classification"]) for d in drifts] == [
                ("market-data-store", "telemetry.FeedbackEvent", True, "safe")
            ]
            schemas = httpx.get(f"{url}/readiness", params={"window": "1h"}).json()["schemas"]
            assert {s["schema"]: s["verdict"] for s in schemas} == {"md.Bar": "GO", "md.Quote": "NO-GO"}
    finally:
        registry.stop()
