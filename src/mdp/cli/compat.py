"""``mdp compat OLD.json NEW.json``: may NEW replace OLD? Every change with its kind, pointer and reason.

Exit codes: 0 compatible, 1 incompatible, 2 error (unreadable file, invalid JSON, remote ``$ref``, a
document that is not a JSON Schema, unknown mode).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mdp.cli.output import EXIT_FINDING, EXIT_OK, console, fail, print_json
from mdp.compat import CompatError, CompatibilityResult, Mode, Policy, check
from mdp.contracts import CanonicalizationError, parse_json


def _read(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        return parse_json(raw)
    except CanonicalizationError as exc:
        fail(f"{path}: {exc}")


def _render(result: CompatibilityResult) -> None:
    table = Table(title="Changes (old -> new)", show_lines=False, expand=False)
    table.add_column("verdict", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("pointer", overflow="fold")
    table.add_column("message", overflow="fold")
    listed = {change.key for change in result.changes}
    for change in result.changes:
        verdict = "[bold red]BREAKS[/]" if result.breaks(change) else "[green]ok[/]"
        table.add_row(verdict, change.kind, change.path, change.message)
    for change in result.breaking:
        if change.key not in listed:  # found only by the reversed diff (FORWARD / FULL)
            table.add_row("[bold red]BREAKS[/]", change.kind, change.path, f"(new -> old) {change.message}")
    if result.changes or result.breaking:
        console.print(table)
    else:
        console.print("No changes.")
    for detail in result.details:
        console.print(f"note: {detail}", highlight=False)
    verdict = "[bold green]compatible[/]" if result.compatible else "[bold red]INCOMPATIBLE[/]"
    console.print(
        f"{verdict} under {result.mode.value} ({result.policy.value}); label: [bold]{result.label}[/]; "
        f"{len(result.changes)} change(s), {len(result.breaking)} breaking",
        highlight=False,
    )


def compat(
    old: Annotated[Path, typer.Argument(help="The schema in use now (a JSON file).", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The schema that would replace it.", show_default=False)],
    mode: Annotated[
        str,
        typer.Option(
            "--mode", "-m", help="NONE, BACKWARD, FORWARD or FULL (a *_TRANSITIVE mode acts as its base)."
        ),
    ] = "BACKWARD",
    lenient: Annotated[
        bool, typer.Option("--lenient", help="LENIENT policy: writers never send undeclared properties.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print CompatibilityResult.to_dict() as JSON.")
    ] = False,
) -> None:
    """Check that NEW can replace OLD, explaining every change (0 compatible, 1 incompatible, 2 error)."""
    try:
        parsed_mode = Mode.parse(mode)
    except CompatError as exc:
        fail(str(exc))
    old_schema, new_schema = _read(old), _read(new)
    try:
        result = check(old_schema, new_schema, parsed_mode, Policy.LENIENT if lenient else Policy.STRICT)
    except CompatError as exc:
        fail(str(exc))
    if as_json:
        print_json(result.to_dict())
    else:
        _render(result)
    raise typer.Exit(EXIT_OK if result.compatible else EXIT_FINDING)


def register(app: typer.Typer) -> None:
    """Add the top-level ``compat`` command to the ``mdp`` app."""
    app.command("compat")(compat)


__all__ = ["compat", "register"]
