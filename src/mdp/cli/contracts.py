"""``mdp contracts``: export the bundled JSON Schemas from the contract models, or check they match."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mdp.cli.output import EXIT_FINDING, info
from mdp.contracts.catalog import TRACKS
from mdp.contracts.export import export_track, render

app = typer.Typer(help="The platform's contract models and their bundled JSON Schemas.", no_args_is_help=True)

PACKAGE_SCHEMAS = Path(__file__).resolve().parent.parent / "contracts" / "schemas"


@app.command("export")
def export(
    output: Annotated[
        Path, typer.Option(help="Directory that receives <track>/<name>.json.")
    ] = PACKAGE_SCHEMAS,
    check: Annotated[bool, typer.Option(help="Only report files that differ; exit 1 if any.")] = False,
) -> None:
    """Write every track's JSON Schemas generated from the pydantic models (exit 1 with --check if stale)."""
    stale: list[str] = []
    for track in TRACKS:
        directory = output / track
        directory.mkdir(parents=True, exist_ok=True)
        for name, schema in export_track(track).items():
            target = directory / f"{name}.json"
            body = render(schema)
            if target.exists() and target.read_bytes() == body:
                continue
            stale.append(f"{track}/{name}")
            if not check:
                tmp = target.with_suffix(".json.tmp")
                tmp.write_bytes(body)
                tmp.replace(target)
    verb = "stale" if check else "written"
    info(f"{len(stale)} schema file(s) {verb}" + (": " + ", ".join(stale) if stale else ""))
    if check and stale:
        raise typer.Exit(EXIT_FINDING)
