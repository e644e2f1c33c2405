"""The pipeline's HTTP surface: ``GET /health`` (a HealthStatus) and ``GET /metrics`` (Prometheus).

``/health`` reports three components: ``bus`` (a round trip and its latency; unhealthy when it fails),
``registry`` (up, serving cached schemas during an outage, or disabled by ``REGISTRY_ENABLED=false``) and
``enforcement`` (mode, rollback level, intake level). The status code is 503 only when the service cannot
work (bus down, or the loop not running); a registry outage with cached schemas is ``degraded`` and 200.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from mdp import __version__
from mdp.contracts.telemetry import HealthComponent, HealthState, HealthStatus
from mdp.enforcement.policy import rollback_level
from mdp.pipeline.runtime import PipelineRuntime
from mdp.web.errors import install_error_handlers
from mdp.web.metrics import metrics_router

SERVICE_NAME = "mdp-pipeline"
_RANK: dict[HealthState, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


async def _bus_component(runtime: PipelineRuntime) -> HealthComponent:
    started = time.perf_counter()
    try:
        await runtime.bus.stream_length(runtime.settings.pipeline_input_stream)
    except Exception as exc:
        latency = (time.perf_counter() - started) * 1000
        return HealthComponent(name="bus", state="unhealthy", latency_ms=latency, detail=str(exc)[:1000])
    latency = (time.perf_counter() - started) * 1000
    detail = f"{runtime.bus.backend}; service {'running' if runtime.service.state.running else 'not running'}"
    state: HealthState = "healthy" if runtime.service.state.running else "unhealthy"
    return HealthComponent(name="bus", state=state, latency_ms=latency, detail=detail)


def _registry_component(runtime: PipelineRuntime) -> HealthComponent:
    client = runtime.client
    track, name = runtime.binding
    if not client.enabled:
        return HealthComponent(name="registry", state="healthy", detail="disabled (REGISTRY_ENABLED=false)")
    cached = client.cache.lookup((track, name))
    if client.up:
        return HealthComponent(name="registry", state="healthy", detail=f"{client.base_url}")
    if cached is not None:
        detail = f"registry unreachable; validating with cached {track}/{name} {cached.version}"
        return HealthComponent(name="registry", state="degraded", detail=detail)
    return HealthComponent(
        name="registry", state="degraded", detail=f"registry unreachable and {track}/{name} not cached"
    )


def _enforcement_component(runtime: PipelineRuntime) -> HealthComponent:
    enforcer = runtime.enforcer
    level = rollback_level(enforcer.mode, enforcer.enabled)
    intake = runtime.service.flow.level(runtime.service.monotonic())
    detail = (
        f"mode={enforcer.mode} enabled={str(enforcer.enabled).lower()} rollback_level={level} "
        f"intake={intake} dlq_depth={runtime.service.state.dlq_depth}"
    )
    state: HealthState = "healthy" if intake == "ok" else "degraded"
    return HealthComponent(name="enforcement", state=state, detail=detail)


async def health_status(runtime: PipelineRuntime) -> HealthStatus:
    """The pipeline's HealthStatus; the overall state is the worst component's."""
    components = [
        await _bus_component(runtime),
        _registry_component(runtime),
        _enforcement_component(runtime),
    ]
    worst = max((component.state for component in components), key=_RANK.__getitem__)
    return HealthStatus(
        service=SERVICE_NAME, state=worst, components=components, version=__version__, ts=time.time()
    )


def create_app(runtime: PipelineRuntime) -> FastAPI:
    """The pipeline's ASGI app; the runtime itself runs as a worker beside it (``mdp pipeline run``)."""
    app = FastAPI(
        title="mdp pipeline", version=__version__, description="Enforcement pipeline (docs/pipeline.md)."
    )
    install_error_handlers(app)

    @app.get("/health", response_model=HealthStatus, responses={503: {"model": HealthStatus}})
    async def health() -> JSONResponse:
        """Readiness: 503 when the bus is down or the loop is not running."""
        status = await health_status(runtime)
        code = 503 if status.state == "unhealthy" else 200
        return JSONResponse(status.model_dump(mode="json"), status_code=code)

    app.include_router(metrics_router(runtime.registry))
    app.state.runtime = runtime
    return app


__all__ = ["SERVICE_NAME", "create_app", "health_status"]
