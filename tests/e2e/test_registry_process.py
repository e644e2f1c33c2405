"""The registry as real processes: ``mdp registry serve``, ``mdp registry seed`` and ``mdp up``.

Commands run through the project's ``mdp`` console script (what ``uv run mdp`` executes) so signals reach
the server itself. Every server gets a free port, is stopped with a signal and must exit 0 promptly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mdp.contracts.catalog import contract_names

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MDP = str(Path(sys.executable).with_name("mdp"))
TOKEN = "e2e-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MDP_", "REGISTRY_"))}
    env.pop("ADMIN_TOKEN", None)
    env.update({"MDP_DATA_DIR": str(data_dir), "MDP_LOG_LEVEL": "WARNING", **extra})
    return env


@contextmanager
def launch(
    args: list[str], env: dict[str, str], logs: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``mdp`` with its output in ``logs``.out/.err (files, so a chatty server never blocks)."""
    with logs.with_suffix(".out").open("wb") as out, logs.with_suffix(".err").open("wb") as err:
        process = subprocess.Popen([MDP, *args], env=env, cwd=cwd, stdout=out, stderr=err)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early with {process.returncode} (see its .err log)")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became healthy")


def stop(process: subprocess.Popen[bytes], signum: int = signal.SIGTERM, timeout: float = 15) -> int:
    process.send_signal(signum)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError("the server did not stop promptly") from None


@contextmanager
def serving(data_dir: Path, port: int, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    data_dir.mkdir(parents=True, exist_ok=True)
    logs = data_dir / f"serve-{port}"
    with launch(["registry", "serve", "--port", str(port)], environment(data_dir, **env), logs) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process)
        yield url, process


def seed(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MDP, "registry", "seed", "--registry-url", url, "--json", *args],
        env=environment(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_seed_stop_and_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    with serving(data_dir, port, ADMIN_TOKEN=TOKEN) as (url, process):
        first = seed(url, data_dir, "--token", TOKEN)
        assert first.returncode == 0, first.stderr
        assert '"rejected": {}' in first.stdout
        second = seed(url, data_dir, "--token", TOKEN)
        assert second.returncode == 0, second.stderr
        assert '"created": []' in second.stdout
        index = httpx.get(f"{url}/schemas/v1").json()
        assert [entry["name"] for entry in index["schemas"]] == contract_names("v1")
        assert {entry["version"] for entry in index["schemas"]} == {"1.0.0"}
        events = httpx.get(f"{url}/events", params={"limit": 1000}).json()["events"]
        assert len(events) == len(contract_names("v1")) + len(contract_names("v2"))
        started = time.monotonic()
        assert stop(process) == 0
        assert time.monotonic() - started < 10
    with serving(data_dir, free_port(), ADMIN_TOKEN=TOKEN) as (url, process):
        again = httpx.get(f"{url}/schemas/v1").json()
        assert again == index
        assert stop(process, signal.SIGINT) == 0


def test_seed_exit_codes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    unreachable = seed(f"http://127.0.0.1:{free_port()}", data_dir, "--token", TOKEN)
    assert unreachable.returncode == 2
    assert "unreachable" in unreachable.stderr
    with serving(data_dir, free_port()) as (url, process):  # no ADMIN_TOKEN: the server generates one
        token_file = data_dir / "admin-token"
        assert token_file.is_file()
        assert token_file.stat().st_mode & 0o077 == 0
        refused = seed(url, data_dir, "--token", "wrong")
        assert refused.returncode == 2
        assert "403" in refused.stderr
        local = seed(url, data_dir)  # picks up the generated token from MDP_DATA_DIR
        assert local.returncode == 0, local.stderr
        # Make v1's md.Bar incompatible with the bundled one: the next seed reports a finding (exit 1).
        headers = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
        httpx.put(f"{url}/config/v1", json={"compatibility": "NONE"}, headers=headers).raise_for_status()
        httpx.post(
            f"{url}/schemas/v1/md.Bar",
            json={"content": {"type": "object", "properties": {"open": {"type": "string"}}}},
            headers=headers,
        ).raise_for_status()
        httpx.put(
            f"{url}/config/v1", json={"compatibility": "FULL_TRANSITIVE"}, headers=headers
        ).raise_for_status()
        finding = seed(url, data_dir)
        assert finding.returncode == 1
        assert "v1/md.Bar" in finding.stdout
        assert stop(process) == 0


def test_mdp_up_serves_a_seeded_registry_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, orchestrator_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    orchestrator = f"http://127.0.0.1:{orchestrator_port}"
    env = {
        **environment(tmp_path / ".mdp"),
        "MDP_DATA_DIR": ".mdp",
        "MDP_ORCHESTRATOR_PORT": str(orchestrator_port),
        "MDP_PIPELINE_PORT": str(free_port()),  # never assume 8080 is free
    }
    with launch(["up", "--registry-port", str(port)], env, tmp_path / "up", cwd=tmp_path) as process:
        wait_until_healthy(url, process)
        wait_until_healthy(orchestrator, process)
        assert "Schema Health" in httpx.get(f"{orchestrator}/").text
        # The orchestrator watches this registry (its first poll may race the registry's start).
        deadline = time.monotonic() + 20
        while httpx.get(f"{orchestrator}/api/state").json()["registry"]["up"] is not True:
            assert time.monotonic() < deadline, "the orchestrator never saw the registry up"
            time.sleep(0.2)
        names = [entry["name"] for entry in httpx.get(f"{url}/schemas/v2").json()["schemas"]]
        assert names == contract_names("v2")
        assert (tmp_path / ".mdp" / "registry.db").is_file()
        assert stop(process, signal.SIGINT) == 0
    banner = (tmp_path / "up.out").read_text()
    assert banner.splitlines()[1].split() == ["schema", "health", f"{orchestrator}/"]
    assert f"registry       {url}" in banner
    assert f"{url}/docs" in banner
    assert f"{url}/metrics" in banner
    assert ".mdp/admin-token" in banner
