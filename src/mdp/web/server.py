"""Serve one or more ASGI apps (and background workers) in one event loop, stopping cleanly on signals.

Every service command (``mdp registry serve``, ``mdp store serve``, ...) and ``mdp up`` go through
:func:`run`. SIGTERM and SIGINT set one stop event: uvicorn stops accepting connections and finishes
in-flight requests, the apps' lifespans run their shutdown (draining batches in flight), and background
workers are awaited. A second SIGINT forces exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn

log = logging.getLogger("mdp.server")


@dataclass(frozen=True)
class ServedApp:
    """An ASGI app bound to an address."""

    name: str
    app: Any
    host: str
    port: int

    @property
    def url(self) -> str:
        wildcard = {"0.0.0.0", "::", ""}  # noqa: S104 - recognising, not binding
        host = "127.0.0.1" if self.host in wildcard else self.host
        return f"http://{host}:{self.port}"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`serve` (several servers share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def serve(
    apps: Sequence[ServedApp],
    *,
    workers: Sequence[Worker] = (),
    stop: asyncio.Event | None = None,
    install_signals: bool = True,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Run ``apps`` and ``workers`` until ``stop`` is set (or a signal arrives); then shut down gracefully."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    servers = [
        _Server(
            uvicorn.Config(
                item.app,
                host=item.host,
                port=item.port,
                log_config=None,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=10,
            )
        )
        for item in apps
    ]
    signals_installed: list[signal.Signals] = []

    def request_stop(signum: int) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            log.warning("second interrupt: forcing exit")
            for server in servers:
                server.force_exit = True
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stop.set()

    if install_signals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, request_stop, signum)
                signals_installed.append(signum)

    async def serve_one(server: _Server, item: ServedApp) -> None:
        try:
            await server.serve()
        except SystemExit as exc:  # uvicorn exits the process when it cannot bind; we must not
            raise RuntimeError(f"{item.name} could not listen on {item.host}:{item.port}") from exc

    server_tasks = [
        asyncio.create_task(serve_one(server, item), name=f"http:{item.name}")
        for server, item in zip(servers, apps, strict=True)
    ]
    worker_tasks = [
        asyncio.create_task(worker(stop), name=f"worker:{index}") for index, worker in enumerate(workers)
    ]
    try:
        while not all(server.started for server in servers):
            failed = [task for task in server_tasks if task.done()]
            if failed:
                break
            await asyncio.sleep(0.02)
        for item in apps:
            log.info("listening", extra={"service": item.name, "url": item.url})
        if on_started is not None and all(server.started for server in servers):
            on_started()
        stop_wait = asyncio.create_task(stop.wait())
        await asyncio.wait([stop_wait, *server_tasks, *worker_tasks], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        stop_wait.cancel()
    finally:
        for server in servers:
            server.should_exit = True
        results = await asyncio.gather(*server_tasks, *worker_tasks, return_exceptions=True)
        for signum in signals_installed:
            loop.remove_signal_handler(signum)
        errors = [
            result
            for result in results
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError)
        ]
        for error in errors:
            log.error("task failed", exc_info=error)
        failed_servers = [item.name for server, item in zip(servers, apps, strict=True) if not server.started]
        if failed_servers:
            raise RuntimeError(f"could not start: {', '.join(failed_servers)} (port in use?)")
        if errors:
            raise errors[0]
    log.info("stopped")


def run(
    apps: Sequence[ServedApp], *, workers: Sequence[Worker] = (), on_started: Callable[[], None] | None = None
) -> None:
    """Blocking entry point for CLI commands (uses uvloop when available)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] ships it
        asyncio.run(serve(apps, workers=workers, on_started=on_started))
    else:
        uvloop.run(serve(apps, workers=workers, on_started=on_started))


__all__ = ["ServedApp", "Worker", "run", "serve"]
