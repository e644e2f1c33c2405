"""``mdp schemas fetch``: write a track's schemas to a directory (the seeds' ``fetch_registry_schemas.py``).

Each schema becomes ``<name>.json`` (written atomically) and ``_manifest.json`` records versions, sha256
values and ``fetched_at``. A file changed locally since the last fetch is never overwritten without
``--force``, and a name that would escape the directory is refused. Exit codes: 0 written (or already
current), 1 refused (locally changed files, nothing written), 2 error (registry unreachable, unknown
track or schema, unsafe name, file system error).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mdp.cli.drift import quiet_library_logs
from mdp.cli.output import EXIT_FINDING, console, fail, print_json
from mdp.client import ClientError, RegistryClient
from mdp.drift.check import run_sync
from mdp.drift.errors import DriftError, FetchConflict
from mdp.drift.fetch import FetchReport, fetch_track
from mdp.drift.settings import DriftSettings
from mdp.errors import MdpError
from mdp.settings import load_settings

TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per registry request.")]

app = typer.Typer(help="Local copies of the registry's schemas.", no_args_is_help=True)


def _render(report: FetchReport) -> None:
    table = Table(title=f"Track {report.track} -> {report.directory}")
    for column in ("schema", "action", "version", "sha256"):
        table.add_column(column, no_wrap=column != "schema", overflow="fold")
    styles = {"created": "green", "updated": "green", "overwritten": "bold yellow", "unchanged": "dim"}
    for name, action, version, sha in report.files:
        table.add_row(name, f"[{styles[action]}]{action}[/]", version, sha[:12])
    console.print(table)
    if report.stale:
        console.print(
            f"not in the registry's track {report.track} (left as they are): {', '.join(report.stale)}",
            highlight=False,
        )
    written = sum(1 for _, action, _, _ in report.files if action != "unchanged")
    console.print(f"{written} file(s) written, {len(report.files) - written} unchanged", highlight=False)


@app.command("fetch")
def fetch(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Directory to write. Default: MDP_DRIFT_SCHEMA_DIR."),
    ] = None,
    track: Annotated[str | None, typer.Option("--track", help="Track. Default: REGISTRY_TRACK.")] = None,
    registry_url: Annotated[
        str | None, typer.Option("--registry-url", help="Registry base URL. Default: REGISTRY_URL.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files changed locally since the last fetch.")
    ] = False,
    schema: Annotated[
        list[str] | None, typer.Option("--schema", help="Fetch only this schema (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
    timeout: TimeoutOption = 10.0,
) -> None:
    """Write every schema of a track as <name>.json plus _manifest.json (0 ok, 1 refused, 2 error)."""
    try:
        settings = load_settings(DriftSettings, registry_url=registry_url, registry_track=track)
    except MdpError as exc:
        fail(str(exc))
    directory = output or settings.drift_schema_dir
    if directory is None:
        fail("no output directory: pass --output or set MDP_DRIFT_SCHEMA_DIR")

    async def run() -> FetchReport:
        async with RegistryClient(settings.registry_url, timeout=timeout) as client:
            return await fetch_track(
                client, settings.registry_track, directory, force=force, names=schema or (), now=time.time()
            )

    try:
        with quiet_library_logs():
            report = run_sync(run())
    except FetchConflict as exc:
        fail(str(exc), EXIT_FINDING)
    except (ClientError, DriftError) as exc:
        fail(f"fetch of track {settings.registry_track} failed: {exc}")
    except OSError as exc:
        fail(f"cannot write to {directory}: {exc.strerror or exc}")
    if as_json:
        print_json(report.to_dict())
    else:
        _render(report)


__all__ = ["app"]
