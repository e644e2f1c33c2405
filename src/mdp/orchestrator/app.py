"""The orchestrator's app factory: drift aggregation, readiness, the Schema Health page and metrics.

``create_app(settings)`` wires the state, the Pulse consumer (replay, then follow), the orchestrator's own
registry poller (registry health) and a DLQ-depth watcher; they run as background tasks of the app's
lifespan, so the web app serves from the first moment (``/health`` says when the bus is not there yet).
A bus or registry client passed in is used as is and left open for its owner.

Routes: ``/`` (the page), ``/static/*``, ``/api/state`` (what the page polls), ``/drift``,
``/readiness?window=72h``, ``/health``, ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from mdp import __version__
from mdp.client import ClientError, RegistryClient, RegistryPoller
from mdp.contracts.telemetry import HealthStatus
from mdp.orchestrator.consumer import TelemetryConsumer
from mdp.orchestrator.durations import format_duration, parse_duration
from mdp.orchestrator.metrics import orchestrator_metrics
from mdp.orchestrator.settings import OrchestratorSettings
from mdp.orchestrator.state import OrchestratorState
from mdp.orchestrator.views import DlqDepth, Runtime
from mdp.pulse.base import EventBus
from mdp.pulse.factory import create_bus
from mdp.settings import load_settings
from mdp.web.errors import ApiError, ErrorCode, install_error_handlers
from mdp.web.metrics import metrics_router

log = logging.getLogger("mdp.orchestrator")

PRUNE_EVERY_S = 60.0
# The page loads nothing from anywhere but this origin; the CSP makes the browser enforce it.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DESCRIPTION = """Aggregates schema drift, validation and backpressure telemetry from Pulse. `/drift` is the
drift state per (repo, track, schema), `/readiness?window=72h` the warn -> strict go/no-go per schema, `/` the
Schema Health page. Errors are `{"error_code": int, "message": str}`. See docs/orchestrator.md."""


def _page(refresh_s: float) -> str:
    template = (files("mdp.orchestrator") / "templates" / "index.html").read_text(encoding="utf-8")
    return template.replace("{{refresh_ms}}", str(int(refresh_s * 1000))).replace("{{version}}", __version__)


def _window(text: str, retention_s: float) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ApiError(ErrorCode.BAD_REQUEST, f"window: {exc}") from None
    if seconds > retention_s:
        raise ApiError(
            ErrorCode.BAD_REQUEST,
            f"window: {text} is longer than the validation retention ({format_duration(retention_s)}, "
            "MDP_ORCHESTRATOR_VALIDATION_RETENTION_SECONDS)",
        )
    return seconds


def create_app(
    settings: OrchestratorSettings | None = None,
    *,
    bus: EventBus | None = None,
    metrics_registry: CollectorRegistry | None = None,
    client: RegistryClient | None = None,
) -> FastAPI:
    """Build the orchestrator ASGI app (``app.state.runtime`` holds the state and its workers)."""
    settings = settings or load_settings(OrchestratorSettings)
    registry = metrics_registry if metrics_registry is not None else CollectorRegistry()
    owns_bus, owns_client = bus is None, client is None
    bus = bus if bus is not None else create_bus(settings, source="orchestrator", metrics_registry=registry)
    if client is None:
        client = RegistryClient.from_settings(
            settings, metrics_registry=registry, tracks=settings.registry_tracks, cache_dir=None
        )
    poller = RegistryPoller(client, tracks=settings.registry_tracks)
    state = OrchestratorState(
        validation_retention_s=settings.orchestrator_validation_retention_s,
        resolved_retention_s=settings.orchestrator_resolved_retention_s,
    )
    runtime: Runtime  # bound below; the metrics collector reads readiness through it at scrape time
    metrics = orchestrator_metrics(registry, state, lambda now: runtime.readiness(now))
    consumer = TelemetryConsumer(
        bus,
        state,
        metrics,
        group=settings.orchestrator_group,
        consumer=settings.orchestrator_consumer,
        replay=settings.orchestrator_replay,
    )
    runtime = Runtime(settings, state, consumer, client, poller, started_at=time.time())
    runtime.dlq = {stream: DlqDepth(stream) for stream in settings.dlq_streams}
    page = _page(settings.orchestrator_page_refresh_s)

    async def watch_dlq(stop: asyncio.Event) -> None:
        interval = max(1.0, settings.orchestrator_page_refresh_s)
        while not stop.is_set():
            for stream, depth in runtime.dlq.items():
                try:
                    depth.depth, depth.at, depth.error = await bus.stream_length(stream), time.time(), None
                except Exception as exc:  # bus down: show it, keep watching
                    depth.error = f"{type(exc).__name__}: {exc}"[:500]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def watch_registry(stop: asyncio.Event) -> None:
        # Like RegistryPoller.run, but after a failed poll it retries within seconds (not a whole
        # REGISTRY_POLL_SECONDS), so the page shows a registry that just came up (mdp up) promptly.
        if not client.enabled:
            return
        failures = 0
        while not stop.is_set():
            try:
                results = await poller.poll_once()
            except Exception:  # a poller bug must not leave the page frozen on a stale verdict
                log.exception("registry poll crashed")
                results = {}
            failed = not results or any(isinstance(result, ClientError) for result in results.values())
            failures = failures + 1 if failed else 0
            delay = min(poller.interval, 0.5 * 2 ** min(failures, 8)) if failed else poller.interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    async def prune(stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PRUNE_EVERY_S)
            state.prune(now=time.time())

    workers: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = [
        consumer.run,
        watch_registry,
        watch_dlq,
        prune,
    ]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(worker(stop), name=f"orchestrator:{i}") for i, worker in enumerate(workers)
        ]
        try:
            yield
        finally:
            stop.set()
            done, pending = await asyncio.wait(tasks, timeout=15)
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("orchestrator worker failed", exc_info=task.exception())
            if owns_client:
                await client.aclose()
            if owns_bus:
                await bus.close()

    app = FastAPI(title="mdp orchestrator", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    static = Path(str(files("mdp.orchestrator") / "static"))
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def schema_health_page() -> HTMLResponse:
        return HTMLResponse(page, headers=PAGE_HEADERS)

    @app.get("/api/state")
    async def api_state() -> JSONResponse:
        """What the Schema Health page shows: drift, registry, validation, DLQ, backpressure, go/no-go."""
        return JSONResponse(runtime.page_state(time.time()), headers={"Cache-Control": "no-store"})

    @app.get("/drift")
    async def drift(
        active: Annotated[bool | None, Query(description="Only active (true) or resolved (false).")] = None,
        repo: Annotated[str | None, Query(max_length=200)] = None,
        track: Annotated[str | None, Query(max_length=10)] = None,
        schema: Annotated[str | None, Query(max_length=200)] = None,
    ) -> dict[str, Any]:
        """Drift per (repo, track, schema): active since, last detected, count, classification, changes."""
        return runtime.drift(time.time(), active=active, repo=repo, track=track, schema=schema)

    @app.get("/readiness")
    async def readiness(
        window: Annotated[
            str | None, Query(max_length=64, description="Like 30m, 1h, 72h (default: the configured one).")
        ] = None,
        min_messages: Annotated[int | None, Query(ge=1, le=10**12)] = None,
    ) -> dict[str, Any]:
        """Warn -> strict go/no-go per schema: GO under 0.5 %, NO-GO over 1 %, else HOLD / NO-DATA."""
        retention = settings.orchestrator_validation_retention_s
        window_s = _window(window, retention) if window is not None else settings.readiness_window_s
        return runtime.readiness(time.time(), window_s=window_s, min_messages=min_messages).to_dict()

    @app.get("/health", response_model=HealthStatus, responses={503: {"model": HealthStatus}})
    async def health() -> JSONResponse:
        """Event bus consumer and registry health; 503 when the consumer cannot reach the bus."""
        status, code = runtime.health(time.time())
        return JSONResponse(status.model_dump(mode="json"), status_code=code)

    app.include_router(metrics_router(registry))
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.bus = bus
    return app


__all__ = ["PAGE_HEADERS", "create_app"]
