"""``mdp orchestrator``: run the orchestrator (drift aggregation, readiness, the Schema Health page).

Exit codes: 0 stopped cleanly; 2 an error (bad configuration, port in use).
"""

from __future__ import annotations

from typing import Annotated

import typer

from mdp.cli.output import fail
from mdp.errors import MdpError
from mdp.orchestrator.settings import OrchestratorSettings
from mdp.settings import load_settings

app = typer.Typer(
    help="The orchestrator: schema drift, readiness and the Schema Health page.", no_args_is_help=True
)


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind. Default: MDP_ORCHESTRATOR_HOST, else 127.0.0.1.")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="TCP port. Default: MDP_ORCHESTRATOR_PORT, else 8090.")
    ] = None,
) -> None:
    """Serve the orchestrator until SIGTERM / Ctrl-C.

    It follows telemetry.schema_drift, telemetry.schema_drift_resolved, telemetry.validation and
    telemetry.feedback on the event bus (EVENT_BUS_BACKEND; group MDP_ORCHESTRATOR_GROUP, default
    orchestrator), rebuilding its state from the streams at start, and polls the registry (REGISTRY_URL)
    for its health. The Schema Health page is at /.
    """
    from mdp.orchestrator.app import create_app
    from mdp.web.logs import configure_logging
    from mdp.web.server import ServedApp, run

    try:
        settings = load_settings(OrchestratorSettings, orchestrator_host=host, orchestrator_port=port)
        configure_logging(settings.log_level, settings.log_format)
        orchestrator_app = create_app(settings)
    except MdpError as exc:
        fail(str(exc))
    served = ServedApp(
        "orchestrator", orchestrator_app, settings.orchestrator_host, settings.orchestrator_port
    )
    try:
        run([served])
    except (RuntimeError, OSError) as exc:
        fail(str(exc))


__all__ = ["app", "serve"]
