"""``mdp up``: the whole platform on one machine, on the embedded defaults, until Ctrl-C.

It runs the orchestrator (the Schema Health page, on ``MDP_ORCHESTRATOR_PORT``, default 8090), the schema
registry (SQLite under ``./.mdp``, seeded in-process with the bundled contracts) and the enforcement
pipeline. Each service is a :class:`Component` built by one function in :data:`COMPONENTS`; the store joins
by adding its own. On the default in-memory bus every component shares the process-wide broker. All
components are served by :func:`mdp.web.server.run` in one event loop, which stops them gracefully on
SIGINT / SIGTERM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import typer

from mdp.cli.output import console, fail
from mdp.errors import MdpError
from mdp.registry.settings import RegistrySettings
from mdp.settings import load_settings
from mdp.web.server import ServedApp, Worker


@dataclass
class Component:
    """One service of ``mdp up``: what to serve, what to run beside it, and what to tell the user."""

    name: str
    apps: list[ServedApp] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)


def registry_component(settings: RegistrySettings) -> Component:
    """The registry on the settings' storage, seeded with the bundled contracts before it serves."""
    from mdp.registry.app import create_app
    from mdp.registry.seed import seed_storage

    app = create_app(settings)
    report = seed_storage(app.state.service)
    served = ServedApp("registry", app, settings.registry_host, settings.registry_port)
    token = "ADMIN_TOKEN (environment)" if app.state.token_file is None else str(app.state.token_file)
    seeded = f"{len(report.created)} created, {len(report.unchanged)} unchanged"
    if report.rejected:
        seeded += f", {len(report.rejected)} rejected: {', '.join(sorted(report.rejected))}"
    from mdp.pipeline.relay import relay_worker

    relay = relay_worker(app.state.service.storage)
    return Component(
        name="registry",
        apps=[served],
        workers=[relay] if relay is not None else [],
        lines=[
            ("registry", served.url),
            ("docs", f"{served.url}/docs"),
            ("metrics", f"{served.url}/metrics"),
            ("admin token", token),
            ("contracts", seeded),
        ],
    )


def orchestrator_component(settings: RegistrySettings) -> Component:
    """The orchestrator on the same interface, watching this registry; its page leads the banner."""
    from mdp.orchestrator.app import create_app
    from mdp.orchestrator.settings import OrchestratorSettings

    registry_url = ServedApp("registry", None, settings.registry_host, settings.registry_port).url
    orchestrator_settings = load_settings(
        OrchestratorSettings, orchestrator_host=settings.registry_host, registry_url=registry_url
    )
    served = ServedApp(
        "orchestrator",
        create_app(orchestrator_settings),
        orchestrator_settings.orchestrator_host,
        orchestrator_settings.orchestrator_port,
    )
    return Component(
        name="orchestrator",
        apps=[served],
        lines=[
            ("schema health", f"{served.url}/"),
            ("readiness", f"{served.url}/readiness"),
        ],
    )


def pipeline_component(settings: RegistrySettings) -> Component:
    """The enforcement pipeline, validating against the registry of this ``mdp up``."""
    from mdp.pipeline.app import create_app
    from mdp.pipeline.runtime import PipelineRuntime
    from mdp.pipeline.settings import PipelineSettings

    host = "127.0.0.1" if settings.registry_host in {"0.0.0.0", "::", ""} else settings.registry_host  # noqa: S104
    pipeline_settings = load_settings(
        PipelineSettings,
        registry_url=f"http://{host}:{settings.registry_port}",
        pipeline_host=settings.registry_host,
    )
    runtime = PipelineRuntime.from_settings(pipeline_settings)
    served = ServedApp(
        "pipeline", create_app(runtime), pipeline_settings.pipeline_host, pipeline_settings.pipeline_port
    )
    flow = f"{pipeline_settings.pipeline_input_stream} -> {pipeline_settings.pipeline_output_stream}"
    mode = pipeline_settings.registry_enforcement if pipeline_settings.registry_enabled else "disabled"
    return Component(
        name="pipeline",
        apps=[served],
        workers=[runtime.run],
        lines=[("pipeline", f"{served.url}/health ({flow}, {mode})")],
    )


# Later issues append the store builder here. The Schema Health page comes first in the banner: it is
# where a person starts.
COMPONENTS: list[Callable[[RegistrySettings], Component]] = [
    orchestrator_component,
    registry_component,
    pipeline_component,
]


def banner(components: list[Component]) -> str:
    """The short block printed once everything listens."""
    width = max(len(label) for component in components for label, _ in component.lines)
    rows = [
        f"  {label.ljust(width)}  {value}" for component in components for label, value in component.lines
    ]
    return "\n".join(["mdp is up (Ctrl-C to stop)", *rows])


def up(
    host: Annotated[
        str | None, typer.Option(help="Interface every service binds. Default 127.0.0.1.")
    ] = None,
    registry_port: Annotated[
        int | None, typer.Option(help="Registry port. Default: MDP_REGISTRY_PORT, else 8081.")
    ] = None,
) -> None:
    """Run the platform locally until Ctrl-C: the orchestrator (Schema Health page; port
    MDP_ORCHESTRATOR_PORT, else 8090), the registry (SQLite under ./.mdp, seeded) and the pipeline."""
    from mdp.web.logs import configure_logging
    from mdp.web.server import run

    try:
        settings = load_settings(RegistrySettings, registry_host=host, registry_port=registry_port)
        configure_logging(settings.log_level, settings.log_format)
        components = [build(settings) for build in COMPONENTS]
    except MdpError as exc:
        fail(str(exc))

    def announce() -> None:
        console.print(banner(components), highlight=False, soft_wrap=True)

    try:
        run(
            [app for component in components for app in component.apps],
            workers=[worker for component in components for worker in component.workers],
            on_started=announce,
        )
    except (RuntimeError, OSError) as exc:
        fail(str(exc))


def register(root: typer.Typer) -> None:
    """Add ``mdp up`` to the root command."""
    root.command("up")(up)


__all__ = [
    "COMPONENTS",
    "Component",
    "banner",
    "orchestrator_component",
    "pipeline_component",
    "register",
    "registry_component",
    "up",
]
