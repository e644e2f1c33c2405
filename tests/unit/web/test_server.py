"""Serving: several apps in one loop, started and stopped cleanly; workers see the stop event."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from fastapi import FastAPI

from mdp.web.server import ServedApp, serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app(name: str, events: list[str]) -> FastAPI:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        events.append(f"{name}:start")
        yield
        events.append(f"{name}:stop")

    app = FastAPI(lifespan=lifespan)

    @app.get("/who")
    def who() -> dict[str, str]:
        return {"name": name}

    return app


async def test_two_apps_and_a_worker_stop_together() -> None:
    events: list[str] = []
    stop = asyncio.Event()
    worker_saw_stop = asyncio.Event()

    async def worker(stop_event: asyncio.Event) -> None:
        await stop_event.wait()
        worker_saw_stop.set()

    ports = [_free_port(), _free_port()]
    apps = [ServedApp(f"a{i}", _app(f"a{i}", events), "127.0.0.1", port) for i, port in enumerate(ports)]
    started = asyncio.Event()
    task = asyncio.create_task(
        serve(apps, workers=[worker], stop=stop, install_signals=False, on_started=started.set)
    )
    await asyncio.wait_for(started.wait(), 10)
    async with httpx.AsyncClient() as client:
        for index, port in enumerate(ports):
            response = await client.get(f"http://127.0.0.1:{port}/who")
            assert response.json() == {"name": f"a{index}"}
    stop.set()
    await asyncio.wait_for(task, 15)
    assert worker_saw_stop.is_set()
    assert sorted(events) == ["a0:start", "a0:stop", "a1:start", "a1:stop"]


async def test_port_in_use_is_reported() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        app = ServedApp("busy", _app("busy", []), "127.0.0.1", port)
        with pytest.raises(RuntimeError, match="could not"):
            await asyncio.wait_for(serve([app], install_signals=False), 15)


def test_served_app_url_hides_wildcard_host() -> None:
    assert ServedApp("x", None, "0.0.0.0", 80).url == "http://127.0.0.1:80"
    assert ServedApp("x", None, "10.0.0.5", 81).url == "http://10.0.0.5:81"
