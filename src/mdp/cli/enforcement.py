"""``mdp enforcement``: is it safe to switch from warn to strict?

``mdp enforcement readiness`` asks the orchestrator for the go/no-go of seed 002 (GO under 0.5 % rejected,
NO-GO over 1 %, per schema, over a window) and prints it.

Exit codes: 0 every schema is GO; 1 some schema is NO-GO, HOLD or has no data; 2 an error (orchestrator
unreachable, a window it refuses).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from mdp.cli.output import EXIT_ERROR, EXIT_FINDING, console, fail, print_json
from mdp.errors import MdpError
from mdp.orchestrator.settings import OrchestratorSettings
from mdp.settings import load_settings

app = typer.Typer(help="Enforcement rollout: warn -> strict readiness.", no_args_is_help=True)

_STYLE = {"GO": "bold green", "HOLD": "bold yellow", "NO-GO": "bold red", "NO-DATA": "bold"}


def _rate(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + " %"


def render(report: dict[str, Any]) -> None:
    """The report for people: the overall verdict, why, and one row per schema."""
    verdict = str(report.get("verdict"))
    style = _STYLE.get(verdict, "bold")
    console.print(f"warn -> strict over {report.get('window')}: [{style}]{verdict}[/]", highlight=False)
    for reason in report.get("reasons", []):
        console.print(f"  - {reason}", highlight=False, soft_wrap=True)
    schemas = report.get("schemas", [])
    if not schemas:
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("schema", "track", "verdict"):
        table.add_column(column)
    table.add_column("reject rate", justify="right")
    table.add_column("messages", justify="right")
    table.add_column("why")
    for schema in schemas:
        verdict = str(schema.get("verdict"))
        table.add_row(
            str(schema.get("schema")),
            str(schema.get("track")),
            f"[{_STYLE.get(verdict, 'bold')}]{verdict}[/]",
            _rate(schema.get("rejection_rate")),
            str(schema.get("total")),
            "; ".join(schema.get("reasons", [])),
        )
    console.print(table)


@app.command("readiness")
def readiness(
    orchestrator_url: Annotated[
        str | None,
        typer.Option("--orchestrator-url", help="Default: MDP_ORCHESTRATOR_URL, else http://127.0.0.1:8090."),
    ] = None,
    window: Annotated[
        str | None, typer.Option(help="Window like 1h, 24h, 72h. Default: the orchestrator's (72h).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Go/no-go for switching enforcement from warn to strict, per schema.

    Exit 0 when every schema is GO, 1 when any is NO-GO, HOLD or NO-DATA, 2 when the orchestrator is
    unreachable or refuses the window.
    """
    from mdp.orchestrator.client import fetch_readiness
    from mdp.orchestrator.durations import parse_duration

    try:
        settings = load_settings(OrchestratorSettings, orchestrator_url=orchestrator_url)
        if window is not None:
            parse_duration(window)
    except ValueError as exc:
        fail(f"--window: {exc}")
    except MdpError as exc:
        fail(str(exc))
    try:
        report = fetch_readiness(settings.orchestrator_url, window=window)
    except MdpError as exc:
        fail(str(exc), EXIT_ERROR)
    if as_json:
        print_json(report)
    else:
        render(report)
    if report.get("verdict") != "GO":
        raise typer.Exit(EXIT_FINDING)


__all__ = ["app", "readiness", "render"]
