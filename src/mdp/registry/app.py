"""The registry's app factory: ``create_app(settings)`` wires storage, service, cache, auth and metrics.

Nothing is built at import time. Without ``storage`` the factory opens the storage the settings name
(SQLite under ``MDP_DATA_DIR`` by default, PostgreSQL with ``MDP_DATABASE_URL``), runs its migrations and
closes it on shutdown; a storage passed in is left open for its owner.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from starlette.concurrency import run_in_threadpool

from mdp import __version__
from mdp.contracts.telemetry import HealthComponent, HealthStatus
from mdp.registry.api import ApiContext, build_router, install_registry_error_handler
from mdp.registry.errors import RegistryError
from mdp.registry.metrics import HttpMetricsMiddleware, registry_metrics
from mdp.registry.reads import ReadCache
from mdp.registry.service import Limits, RegistryService
from mdp.registry.settings import RegistrySettings
from mdp.registry.storage import SchemaStorage, open_storage
from mdp.settings import load_settings
from mdp.web.auth import AdminAuth, resolve_admin_token
from mdp.web.errors import install_error_handlers
from mdp.web.metrics import metrics_router

log = logging.getLogger("mdp.registry")

SERVICE_NAME = "mdp-registry"
DESCRIPTION = """Versioned JSON Schemas grouped in tracks (v1 stable, v2 preview), identified by the SHA-256
of their RFC 8785 canonical form. Reads are anonymous; writes need `Authorization: Bearer $ADMIN_TOKEN`.
Errors are `{"error_code": int, "message": str}`. See docs/registry.md."""


def _health(service: RegistryService) -> tuple[HealthStatus, int]:
    started = time.perf_counter()
    try:
        service.ping()
    except RegistryError as exc:
        latency = (time.perf_counter() - started) * 1000
        component = HealthComponent(
            name="database", state="unhealthy", latency_ms=latency, detail=str(exc)[:1000]
        )
        status = 503
    else:
        latency = (time.perf_counter() - started) * 1000
        component = HealthComponent(name="database", state="healthy", latency_ms=latency)
        status = 200
    health = HealthStatus(
        service=SERVICE_NAME,
        state=component.state,
        components=[component],
        version=__version__,
        ts=time.time(),
    )
    return health, status


def create_app(
    settings: RegistrySettings | None = None,
    *,
    storage: SchemaStorage | None = None,
    metrics_registry: CollectorRegistry | None = None,
) -> FastAPI:
    """Build the registry ASGI app (``app.state.service`` is the :class:`RegistryService`)."""
    settings = settings or load_settings(RegistrySettings)
    owns_storage = storage is None
    storage = storage if storage is not None else open_storage(settings)
    service = RegistryService(
        storage, limits=Limits(settings.registry_max_schema_bytes, settings.registry_max_schema_depth)
    )
    configured = settings.admin_token.get_secret_value() if settings.admin_token else None
    token, token_file = resolve_admin_token(configured, settings.data_dir)
    registry = metrics_registry if metrics_registry is not None else CollectorRegistry()
    metrics = registry_metrics(registry, service)
    cache = ReadCache(service, ttl_seconds=settings.registry_cache_ttl_ms / 1000)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_storage:
            storage.close()

    app = FastAPI(
        title="mdp schema registry",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_registry_error_handler(app)

    @app.get("/health", response_model=HealthStatus, responses={503: {"model": HealthStatus}})
    async def health() -> JSONResponse:
        """Readiness: the database round-trip and its latency; 503 when the database is down."""
        status, code = await run_in_threadpool(_health, service)
        return JSONResponse(status.model_dump(mode="json"), status_code=code)

    context = ApiContext(
        service=service,
        cache=cache,
        auth=AdminAuth(token),
        metrics=metrics,
        max_body_bytes=settings.registry_max_schema_bytes,
        max_body_depth=settings.registry_max_schema_depth,
    )
    app.include_router(build_router(context))
    app.include_router(metrics_router(registry))
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)
    app.state.service = service
    app.state.cache = cache
    app.state.settings = settings
    app.state.token_file = token_file
    return app


__all__ = ["SERVICE_NAME", "create_app"]
