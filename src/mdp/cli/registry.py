"""``mdp registry``: run the schema registry service and seed it with the bundled contracts.

Exit codes: 0 ok; 1 a finding (``seed``: a bundled schema was rejected); 2 an error (bad configuration,
port in use, registry unreachable, admin token refused).
"""

from __future__ import annotations

from typing import Annotated

import typer

from mdp.cli.output import EXIT_ERROR, EXIT_FINDING, fail, info, print_json
from mdp.errors import MdpError
from mdp.registry.settings import RegistrySettings
from mdp.settings import MdpSettings, load_settings
from mdp.web.auth import TOKEN_FILE_NAME

app = typer.Typer(help="The schema registry service.", no_args_is_help=True)


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind. Default: MDP_REGISTRY_HOST, else 127.0.0.1.")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="TCP port. Default: MDP_REGISTRY_PORT, else 8081 (Confluent Schema Registry's)."),
    ] = None,
) -> None:
    """Serve the registry (SQLite under MDP_DATA_DIR, or MDP_DATABASE_URL) until SIGTERM / Ctrl-C.

    Its outbox is relayed to schema.published / schema.deprecated on Pulse (unless PULSE_ENABLED=false).

    Writes need ADMIN_TOKEN; when it is unset a token is generated into MDP_DATA_DIR/admin-token.
    """
    from mdp.registry.app import create_app
    from mdp.web.logs import configure_logging
    from mdp.web.server import ServedApp, run

    try:
        settings = load_settings(RegistrySettings, registry_host=host, registry_port=port)
        configure_logging(settings.log_level, settings.log_format)
        registry_app = create_app(settings)
    except MdpError as exc:
        fail(str(exc))
    from mdp.pipeline.relay import relay_worker

    try:
        relay = relay_worker(registry_app.state.service.storage)
    except MdpError as exc:
        fail(str(exc))
    try:
        run(
            [ServedApp("registry", registry_app, settings.registry_host, settings.registry_port)],
            workers=[relay] if relay is not None else [],
        )
    except (RuntimeError, OSError) as exc:
        fail(str(exc))


def _token(explicit: str | None, settings: MdpSettings) -> str:
    if explicit:
        return explicit
    if settings.admin_token is not None:
        return settings.admin_token.get_secret_value()
    generated = settings.data_dir / TOKEN_FILE_NAME
    if generated.is_file():  # the token a local `mdp registry serve` generated
        return generated.read_text(encoding="utf-8").strip()
    return fail(f"no admin token: pass --token, set ADMIN_TOKEN, or run next to a registry's {generated}")


@app.command("seed")
def seed(
    registry_url: Annotated[
        str | None, typer.Option("--registry-url", help="Registry base URL. Default: REGISTRY_URL.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            help="Admin token. Default: ADMIN_TOKEN, else MDP_DATA_DIR/admin-token (a local registry's).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Publish the bundled contracts (tracks v1 and v2) through the HTTP API; re-running changes nothing.

    Exit 0 when every schema is published or unchanged, 1 if the registry rejected one, 2 if it is
    unreachable or refuses the token.
    """
    from mdp.registry.seed import SeedError, seed_over_http

    try:
        settings = load_settings(MdpSettings, registry_url=registry_url)
    except MdpError as exc:
        fail(str(exc))
    try:
        report = seed_over_http(settings.registry_url, _token(token, settings))
    except SeedError as exc:
        fail(str(exc), EXIT_ERROR)
    if as_json:
        print_json(report.to_dict())
    else:
        counts = f"{len(report.created)} created, {len(report.unchanged)} unchanged"
        info(f"seeded {settings.registry_url}: {counts}, {len(report.rejected)} rejected")
        for key, reason in report.rejected.items():
            info(f"  [red]rejected[/] {key}: {reason}")
    if not report.ok:
        raise typer.Exit(EXIT_FINDING)
