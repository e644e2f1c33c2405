"""Start and stop a real ``mdp registry serve`` process for tests (free port, private data dir)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mdp_executable() -> str:
    return str(Path(sys.executable).parent / "mdp")


def registry_serve_available() -> bool:
    result = subprocess.run(
        [mdp_executable(), "registry", "serve", "--help"], capture_output=True, timeout=60, check=False
    )
    return result.returncode == 0


class RegistryProcess:
    """One registry server; ``stop()`` sends SIGTERM, ``start()`` again reuses the port and data."""

    def __init__(self, data_dir: Path, token: str, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.token = token
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "registry.log"

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "MDP_DATA_DIR": str(self.data_dir), "ADMIN_TOKEN": self.token}
        env.pop("MDP_DATABASE_URL", None)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [mdp_executable(), "registry", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"registry exited with {self.process.returncode}:\n{self.log.read_text()[-4000:]}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"registry did not become healthy in {timeout}s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
