"""Serve the orchestrator (and, when a test needs one, a real registry) in the test's event loop.

The in-memory bus lives in one event loop, so the app must run in the test's loop: both are served with
:func:`mdp.web.server.serve` on free ports and stopped at the end of the test.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from mdp.orchestrator.app import create_app
from mdp.orchestrator.settings import OrchestratorSettings
from mdp.pulse import Envelope, EventBus, InMemoryBroker, InMemoryBus
from mdp.settings import load_settings
from mdp.web.server import ServedApp, serve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def served(app: FastAPI, name: str) -> AsyncIterator[str]:
    """``app`` listening on a free port until the block ends; yields its base URL."""
    port = free_port()
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        serve(
            [ServedApp(name, app, "127.0.0.1", port)],
            stop=stop,
            install_signals=False,
            on_started=started.set,
        )
    )
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait([waiter, task], timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        waiter.cancel()
        stop.set()
        await task  # raises why it could not start
        raise AssertionError(f"{name} did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@asynccontextmanager
async def registry_server(data_dir: Path) -> AsyncIterator[str]:
    """A real registry on SQLite, seeded with the bundled contracts."""
    from mdp.registry.app import create_app as create_registry
    from mdp.registry.seed import seed_storage
    from mdp.registry.settings import RegistrySettings

    settings = load_settings(RegistrySettings, data_dir=data_dir, admin_token="t")
    app = create_registry(settings, metrics_registry=CollectorRegistry())
    seed_storage(app.state.service)
    async with served(app, "registry") as url:
        yield url


@dataclass
class Orchestrator:
    url: str
    bus: EventBus
    app: FastAPI
    registry: CollectorRegistry

    async def publish(self, stream: str, model: Any, *, event_type: str | None = None) -> str:
        payload = model.model_dump(mode="json", by_alias=True) if hasattr(model, "model_dump") else model
        return await self.bus.publish(stream, Envelope.create(event_type or stream, payload, source="test"))


@asynccontextmanager
async def orchestrator(**overrides: Any) -> AsyncIterator[Orchestrator]:
    """An orchestrator on its own in-memory broker; ``overrides`` are OrchestratorSettings fields."""
    options: dict[str, Any] = {"orchestrator_page_refresh_s": 0.3, "registry_enabled": False, **overrides}
    settings = load_settings(OrchestratorSettings, **options)
    bus = InMemoryBus(broker=InMemoryBroker(), claim_idle_ms=200)
    await bus.start()
    registry = CollectorRegistry()
    app = create_app(settings, bus=bus, metrics_registry=registry)
    try:
        async with served(app, "orchestrator") as url:
            await asyncio.wait_for(app.state.runtime.consumer.live.wait(), 10)
            yield Orchestrator(url, bus, app, registry)
    finally:
        await bus.close()


async def eventually(check: Any, timeout_s: float = 10.0, interval_s: float = 0.05) -> Any:
    """Await ``check()`` (sync or async) until it returns a truthy value; that value is returned."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(interval_s)
