"""``mdp drift``: compare local schema copies with the registry (``check``) and two tracks (``tracks``).

``mdp drift check`` is the seeds' ``check_schema_drift.py`` (same flags: ``--track``, ``--registry-url``,
``--schema-dir``, ``--emit-telemetry``, ``--output``) plus ``--fail-on``. Exit codes:

* ``0``: in sync (or the findings do not meet ``--fail-on``);
* ``1``: drift, as ``--fail-on`` says (``any``: any drift or schema missing in the registry; ``breaking``:
  breaking / unclassifiable drifts and schemas missing in the registry; ``never``);
* ``2``: registry unreachable, unknown track, unreadable schema directory, bad options. An unreachable
  registry is never reported as synced (the ``--output`` report then has ``"status": "error"``).

``REGISTRY_ENABLED=false`` (the seeds' rollback "skip Registry checks") skips the check: exit 0, the
report's ``status`` is ``"skipped"``.

``mdp drift tracks v1 v2``: for every schema in both tracks, what migrating from the first to the second
changes and breaks. Exit 1 when ``--fail-on`` matches (default: a breaking change), 2 on errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich import box
from rich.table import Table

from mdp.cli.output import EXIT_FINDING, EXIT_OK, console, fail, info, print_json
from mdp.client import ClientError, RegistryClient
from mdp.compat import CompatError, Mode, Policy
from mdp.contracts.errors import ContractError
from mdp.drift.check import DriftCheck, check_registry, compare_registry_tracks, error_report, run_sync
from mdp.drift.compare import FAIL_ON, DriftStatus, SchemaComparison
from mdp.drift.errors import DriftError
from mdp.drift.local import LocalSchemas, bundled_schemas, load_schema_dir
from mdp.drift.reporter import DriftReporter
from mdp.drift.settings import DriftSettings
from mdp.drift.tracks import TrackComparison
from mdp.errors import MdpError
from mdp.pulse.settings import PulseSettings
from mdp.pulse.streams import SCHEMA_DRIFT
from mdp.settings import load_settings

TimeoutOption = Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per registry request.")]

app = typer.Typer(help="Schema drift: local schema copies against the registry.", no_args_is_help=True)

_STATUS_STYLE = {
    DriftStatus.SYNCED: "[green]synced[/]",
    DriftStatus.DRIFT: "[bold yellow]drift[/]",
    DriftStatus.MISSING_IN_REGISTRY: "[bold red]missing in registry[/]",
    DriftStatus.MISSING_LOCALLY: "[cyan]missing locally[/]",
}
_LABEL_STYLE = {
    "breaking": "[bold red]breaking[/]",
    "safe": "[green]safe[/]",
    "docs-only": "[blue]docs-only[/]",
}

JsonOption = Annotated[bool, typer.Option("--json", help="Print the JSON report instead of a table.")]
FailOnOption = Annotated[
    str,
    typer.Option(
        "--fail-on",
        help="Exit 1 on: any (drift or missing in the registry), breaking (breaking or unclassifiable), "
        "never.",
    ),
]


def _write_report(path: Path, report: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2, default=str) + b"\n")
        tmp.replace(path)
    except OSError as exc:
        fail(f"cannot write the report {path}: {exc.strerror or exc}")


def _local(schema_dir: Path | None, track: str) -> LocalSchemas:
    if schema_dir is None:
        try:
            return LocalSchemas(bundled_schemas(track))
        except ContractError:
            fail(f"no bundled contracts for track {track}: pass --schema-dir")
    try:
        return load_schema_dir(schema_dir, track)
    except DriftError as exc:
        fail(f"schema directory: {exc}")


@contextlib.contextmanager
def quiet_library_logs() -> Iterator[None]:
    """Keep the library's service-oriented warnings ("serving cached schemas"...) out of CLI output: the
    command reports the outcome itself. Restores the level afterwards (tests run commands in-process)."""
    logger = logging.getLogger("mdp")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _identity(version: str | None, sha: str | None, *, with_sha: bool) -> str:
    """``1.1.0``, or ``1.1.0 (abcd1234)`` where the contents differ (so the two sides can be told apart)."""
    if sha is None:
        return "-"
    if not version:
        return sha[:8]
    return f"{version} ({sha[:8]})" if with_sha else version


def _render_check(result: DriftCheck, failing: list[SchemaComparison]) -> None:
    table = Table(
        title=f"Schema drift: track {result.track} vs {result.registry_url}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("schema", no_wrap=True)
    for column in ("status", "label", "local", "registry"):
        table.add_column(column)
    for item in result.comparisons:
        label = str(item.label) if item.label is not None else ""
        table.add_row(
            item.name,
            _STATUS_STYLE[item.status],
            _LABEL_STYLE.get(label, label),
            _identity(item.local_version, item.local_sha256, with_sha=item.drifted),
            _identity(item.registry_version, item.registry_sha256, with_sha=item.drifted),
        )
    console.print(table)
    for item in result.comparisons:
        changes = item.classification.changes if item.classification else ()
        if item.status is DriftStatus.DRIFT and changes:
            console.print(f"[bold]{item.name}[/] (local -> registry):", highlight=False)
            for change in changes:
                marker = "[bold red]BREAKS[/]" if change.breaking else "[green]ok[/]    "
                console.print(f"  {marker} {change.kind} at {change.path}: {change.message}", highlight=False)
        elif item.classification is not None and item.classification.error and item.drifted:
            console.print(f"[bold]{item.name}[/]: {item.classification.error}", highlight=False)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    if result.ignored:
        console.print(f"ignored files (not schema names): {', '.join(result.ignored)}", highlight=False)
    counts = result.counts
    if result.compatibility_source is not None:
        console.print(
            f"classified under {result.mode} ({result.policy}), from the {result.compatibility_source}",
            highlight=False,
        )
    summary = (
        f"{counts['total_schemas']} schema(s): {counts['synced']} synced, {counts['drifted']} drifted "
        f"({counts['breaking']} breaking), {counts['missing_in_registry']} missing in the registry, "
        f"{counts['missing_locally']} missing locally"
    )
    verdict = "[bold green]in sync[/]" if result.status == "synced" else "[bold yellow]DRIFT[/]"
    console.print(f"{verdict}: {summary}", highlight=False)
    if failing:
        console.print(f"[bold red]failing:[/] {', '.join(item.name for item in failing)}", highlight=False)


async def _emit(repo: str, result: DriftCheck) -> str:
    pulse = load_settings(PulseSettings)
    if pulse.event_bus_backend == "inmem":
        info(
            "[yellow]warning:[/] EVENT_BUS_BACKEND=inmem: the events stay inside this one-shot process and "
            "reach no one; set EVENT_BUS_BACKEND=redis and MDP_REDIS_URL to deliver them"
        )
    if not pulse.pulse_enabled:
        return "telemetry: PULSE_ENABLED=false, nothing published"
    reporter = DriftReporter.from_settings(pulse, repo=repo, heartbeat_seconds=0)
    drifted = resolved = 0
    async with reporter:
        for item in result.comparisons:
            if item.drifted:
                drifted += 1
                await reporter.report(result.track, item)
            else:
                resolved += await reporter.announce_synced(result.track, item)
        reporter.check_succeeded(result.track)
    published = reporter.metrics_registry.get_sample_value("pulse_published_total", {"stream": SCHEMA_DRIFT})
    return (
        f"telemetry as repo {repo!r}: {int(published or 0)} of {drifted} drift event(s) published, "
        f"{resolved} in-sync (resolved) event(s)"
    )


@app.command("check")
def check(
    track: Annotated[
        str | None, typer.Option("--track", help="Track to check. Default: REGISTRY_TRACK.")
    ] = None,
    registry_url: Annotated[
        str | None, typer.Option("--registry-url", help="Registry base URL. Default: REGISTRY_URL.")
    ] = None,
    schema_dir: Annotated[
        Path | None,
        typer.Option(
            "--schema-dir",
            help="Directory of <name>.json local copies. Default: MDP_DRIFT_SCHEMA_DIR, else the contracts "
            "bundled with this mdp.",
        ),
    ] = None,
    emit_telemetry: Annotated[
        bool, typer.Option("--emit-telemetry", help="Publish drift events on Pulse (EVENT_BUS_BACKEND).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON report to this file.")
    ] = None,
    fail_on: FailOnOption = "any",
    require_all: Annotated[
        bool, typer.Option("--require-all", help="With --fail-on any, schemas missing locally fail too.")
    ] = False,
    repo: Annotated[
        str | None, typer.Option("--repo", help="Repo label of events. Default: MDP_DRIFT_REPO, else mdp.")
    ] = None,
    as_json: JsonOption = False,
    timeout: TimeoutOption = 10.0,
) -> None:
    """Compare local schema copies with the registry's track (0 in sync, 1 drift, 2 error)."""
    if fail_on not in FAIL_ON:
        fail(f"--fail-on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    try:
        settings = load_settings(DriftSettings, registry_url=registry_url, registry_track=track)
    except MdpError as exc:
        fail(str(exc))
    track, url = settings.registry_track, settings.registry_url
    label = repo or settings.drift_repo or "mdp"
    local = _local(schema_dir or settings.drift_schema_dir, track)
    now = time.time()
    if not settings.registry_enabled:  # rollback level 2, "skip Registry checks": skipped, not synced
        reason = "REGISTRY_ENABLED=false: the drift check was skipped"
        if output is not None:
            _write_report(output, error_report(track, url, reason, now, repo=label, status="skipped"))
        info(f"[yellow]skipped:[/] {reason}")
        raise typer.Exit(EXIT_OK)
    try:
        with quiet_library_logs():
            result = run_sync(
                check_registry(
                    url, track, local.schemas, now=now, ignored=local.ignored, request_timeout=timeout
                )
            )
    except ClientError as exc:
        if output is not None:
            _write_report(output, error_report(track, url, str(exc), now, repo=label))
        fail(f"drift check of track {track} failed: {exc}")
    failing = result.failing(fail_on, require_all=require_all)
    report = result.to_report(repo=label)
    if output is not None:
        _write_report(output, report)
    if as_json:
        print_json(report)
    else:
        _render_check(result, failing)
    if emit_telemetry:
        with quiet_library_logs():
            info(asyncio.run(_emit(label, result)))
    raise typer.Exit(EXIT_FINDING if failing else EXIT_OK)


def _render_tracks(old: str, new: str, items: list[TrackComparison], failing: list[str]) -> None:
    table = Table(title=f"Migrating {old} -> {new}", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("schema", no_wrap=True)
    for column in ("status", "label", old, new, "breaks"):
        table.add_column(column)
    for item in items:
        label = str(item.classification.label) if item.classification else ""
        table.add_row(
            item.name,
            item.status,
            _LABEL_STYLE.get(label, label),
            item.old.version if item.old and item.old.version else "-",
            item.new.version if item.new and item.new.version else "-",
            str(item.classification.breaking_count) if item.classification else "-",
        )
    console.print(table)
    for item in items:
        if item.status == "changed" and item.classification is not None:
            console.print(f"[bold]{item.name}[/] ({old} -> {new}):", highlight=False)
            if item.classification.error:
                console.print(f"  {item.classification.error}", highlight=False)
            for change in item.classification.changes:
                marker = "[bold red]BREAKS[/]" if change.breaking else "[green]ok[/]    "
                console.print(f"  {marker} {change.kind} at {change.path}: {change.message}", highlight=False)
    if failing:
        console.print(f"[bold red]failing:[/] {', '.join(failing)}", highlight=False)


def _tracks_failing(items: list[TrackComparison], fail_on: str) -> list[str]:
    if fail_on == "never":
        return []
    if fail_on == "any":
        return [item.name for item in items if item.status != "identical"]
    return [
        item.name
        for item in items
        if item.status == "changed"
        and item.classification is not None
        and str(item.classification.label) in {"breaking", "unknown"}
    ]


@app.command("tracks")
def tracks(
    old: Annotated[str, typer.Argument(help="Track migrated from, e.g. v1.", show_default=False)],
    new: Annotated[str, typer.Argument(help="Track migrated to, e.g. v2.", show_default=False)],
    registry_url: Annotated[
        str | None, typer.Option("--registry-url", help="Registry base URL. Default: REGISTRY_URL.")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", "-m", help="Compatibility mode judged (old and new readers: FULL).")
    ] = "FULL",
    strict: Annotated[bool, typer.Option("--strict", help="STRICT policy (default LENIENT).")] = False,
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", help="Exit 1 on: breaking (default), any difference, never."),
    ] = "breaking",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON report here.")] = None,
    as_json: JsonOption = False,
    timeout: TimeoutOption = 10.0,
) -> None:
    """Predict what migrating from track OLD to track NEW changes and breaks (0 ok, 1 breaking, 2 error)."""
    if fail_on not in FAIL_ON:
        fail(f"--fail-on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    try:
        parsed_mode = Mode.parse(mode)
        settings = load_settings(DriftSettings, registry_url=registry_url)
    except (CompatError, MdpError) as exc:
        fail(str(exc))
    policy = Policy.STRICT if strict else Policy.LENIENT

    async def compare() -> list[TrackComparison]:
        async with RegistryClient(settings.registry_url, timeout=timeout) as client:
            return await compare_registry_tracks(client, old, new, parsed_mode, policy)

    try:
        with quiet_library_logs():
            items = run_sync(compare())
    except ClientError as exc:
        fail(f"cannot compare tracks {old} and {new}: {exc}")
    failing = _tracks_failing(items, fail_on)
    report = {
        "old_track": old,
        "new_track": new,
        "registry_url": settings.registry_url,
        "mode": parsed_mode.value,
        "policy": policy.value,
        "schemas": [item.to_dict() for item in items],
        "failing": failing,
    }
    if output is not None:
        _write_report(output, report)
    if as_json:
        print_json(report)
    else:
        _render_tracks(old, new, items, failing)
    raise typer.Exit(EXIT_FINDING if failing else EXIT_OK)


__all__ = ["app"]
