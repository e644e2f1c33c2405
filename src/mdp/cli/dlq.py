"""``mdp dlq``: list, inspect, replay and purge dead-letter entries (default stream ``md.bars.dlq``).

Both kinds of entries are understood: the pipeline's rejections (with reason, schema and errors) and the
bus's own dead letters (an entry that exhausted its deliveries, e.g. in ``md.bars.raw.dlq``).

Exit codes: 0 ok (``replay``: everything selected passed); 1 a finding (``replay``: some entries still
fail, or are unreadable; ``show``: no such entry); 2 an error (bus or registry unreachable, bad usage).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from mdp.cli.output import EXIT_FINDING, console, fail, info, print_json
from mdp.errors import MdpError
from mdp.pipeline.settings import PipelineSettings
from mdp.pulse.base import EventBus
from mdp.pulse.deadletter import DeadLetter
from mdp.settings import load_settings

app = typer.Typer(help="Dead-letter queue tools.", no_args_is_help=True)
T = TypeVar("T")

StreamOption = Annotated[
    str | None,
    typer.Option("--stream", help="DLQ stream. Default: MDP_PIPELINE_DLQ_STREAM, else md.bars.dlq."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _settings(**overrides: Any) -> PipelineSettings:
    try:
        return load_settings(PipelineSettings, **overrides)
    except MdpError as exc:
        fail(str(exc))


def _with_bus(settings: PipelineSettings, work: Callable[[EventBus], Awaitable[T]]) -> T:
    from mdp.pulse.factory import create_bus

    async def main() -> T:
        async with create_bus(settings, source="mdp-dlq") as bus:
            return await work(bus)

    try:
        return asyncio.run(main())
    except MdpError as exc:
        fail(f"{type(exc).__name__}: {exc}")


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _kind(letter: DeadLetter) -> str:
    return letter.reason or f"delivery failed x{letter.delivery_count}"


@app.command("ls")
def ls(
    stream: StreamOption = None,
    count: Annotated[int, typer.Option(min=1, max=10_000, help="Entries to show (oldest first).")] = 50,
    start: Annotated[str, typer.Option(help="First DLQ id to show.")] = "-",
    as_json: JsonOption = False,
) -> None:
    """List DLQ entries: id, reason, where they came from, when first seen, replay attempts."""
    from mdp.pipeline.dlq import list_entries

    settings = _settings()
    target = stream or settings.dlq_stream

    async def work(bus: EventBus) -> tuple[int, list[Any]]:
        return await bus.stream_length(target), await list_entries(bus, target, start=start, count=count)

    depth, entries = _with_bus(settings, work)
    if as_json:
        print_json({"stream": target, "depth": depth, "entries": [entry.to_dict() for entry in entries]})
        return
    table = Table(title=f"{target}: {depth} entr{'y' if depth == 1 else 'ies'}", show_lines=False)
    for column in ("id", "reason", "from", "first seen", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        letter = entry.letter
        if letter is None:
            table.add_row(entry.entry_id, "[red]unreadable[/]", "-", "-", "-", entry.problem or "")
            continue
        first = letter.first_seen if letter.first_seen is not None else letter.dead_lettered_at
        table.add_row(
            entry.entry_id,
            _kind(letter),
            f"{letter.stream} {letter.entry_id}",
            _when(first),
            str(letter.attempts),
            letter.error[:120],
        )
    console.print(table)


@app.command("show")
def show(
    entry_id: Annotated[str, typer.Argument(help="DLQ entry id (from `mdp dlq ls`).", show_default=False)],
    stream: StreamOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one entry: the verdict, every error (path and message) and the original message."""
    from mdp.pipeline.dlq import get_entry

    settings = _settings()
    target = stream or settings.dlq_stream
    entry = _with_bus(settings, lambda bus: get_entry(bus, target, entry_id))
    if entry is None:
        fail(f"no entry {entry_id} in {target}", EXIT_FINDING)
    if as_json:
        print_json(entry.to_dict())
        return
    letter = entry.letter
    if letter is None:
        console.print(f"[bold]{entry.entry_id}[/] is unreadable: {entry.problem}", highlight=False)
        raise typer.Exit(EXIT_FINDING)
    schema = letter.schema or {}
    rows = [
        ("reason", _kind(letter)),
        ("from", f"{letter.stream} entry {letter.entry_id} (group {letter.group})"),
        ("mode", letter.mode or "-"),
        (
            "schema",
            f"{schema.get('track', '-')}/{schema.get('name', '-')} {schema.get('sha256') or ''}".strip(),
        ),
        (
            "first seen",
            _when(letter.first_seen if letter.first_seen is not None else letter.dead_lettered_at),
        ),
        ("dead-lettered", _when(letter.dead_lettered_at)),
        ("attempts", str(letter.attempts)),
    ]
    for label, value in rows:
        console.print(f"[bold]{label:>13}[/]  {value}", highlight=False, soft_wrap=True)
    console.print("[bold]       errors[/]", highlight=False)
    issues = letter.errors or ({"path": "", "message": letter.error, "keyword": None},)
    for issue in issues:
        where = issue.get("path") or "(root)"
        keyword = f" [dim]({issue['keyword']})[/]" if issue.get("keyword") else ""
        console.print(
            f"    [red]{where}[/]: {issue.get('message', '')}{keyword}", highlight=False, soft_wrap=True
        )
    encoding = "" if letter.original_encoding == "utf-8" else f" ({letter.original_encoding})"
    console.print(f"[bold]     original[/]{encoding}", highlight=False)
    console.print(f"    {letter.original}", highlight=False, soft_wrap=True, markup=False)


@app.command("replay")
def replay(
    ids: Annotated[
        list[str] | None, typer.Argument(help="DLQ entry ids to replay.", show_default=False)
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every entry.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Re-validate and report; change nothing.")
    ] = False,
    stream: StreamOption = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Where passing entries go. Default: MDP_PIPELINE_OUTPUT_STREAM."),
    ] = None,
    registry_url: Annotated[str | None, typer.Option("--registry-url", help="Default: REGISTRY_URL.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-validate entries with the current schema: passing ones go to the output stream and leave the DLQ;
    failing ones stay, with their new errors and one more attempt."""
    from prometheus_client import CollectorRegistry

    from mdp.client import ClientError, RegistryClient
    from mdp.enforcement import Enforcer, enforcement_metrics
    from mdp.enforcement.registry import RegistrySchemaProvider
    from mdp.pipeline.dlq import ReplayReport
    from mdp.pipeline.dlq import replay as replay_entries

    if bool(ids) == replay_all:
        fail("name entry ids or pass --all (not both)")
    settings = _settings(registry_url=registry_url)
    if not settings.registry_enabled:
        fail("REGISTRY_ENABLED=false: replay re-validates against the registry's schema, so it cannot run")
    target = stream or settings.dlq_stream
    output = to or settings.pipeline_output_stream
    track, name = settings.binding

    async def work(bus: EventBus) -> ReplayReport:
        metrics = CollectorRegistry()
        async with RegistryClient.from_settings(settings, metrics_registry=metrics) as client:
            await client.get_schema(track, name)  # the current version (the cache only if unreachable)
            enforcer = Enforcer(
                schemas=RegistrySchemaProvider(client),
                mode="strict",
                metrics=enforcement_metrics(metrics),
                default_track=settings.registry_track,
                bindings={settings.pipeline_input_stream: (track, name)},
                service="mdp-dlq",
                log_failures=False,
            )
            return await replay_entries(
                bus,
                target,
                enforcer,
                output=output,
                bound_stream=settings.pipeline_input_stream,
                ids=None if replay_all else ids,
                dry_run=dry_run,
                now=time.time(),
            )

    try:
        report = _with_bus(settings, work)
    except ClientError as exc:
        fail(f"cannot get the current schema {track}/{name}: {exc}")
    if as_json:
        print_json(report.to_dict())
    else:
        verb = "would move" if dry_run else "moved"
        info(
            f"{verb} {len(report.passed)} entr{'y' if len(report.passed) == 1 else 'ies'} to {output}; "
            f"{len(report.still_failing)} still failing; {len(report.unreadable)} unreadable; "
            f"{len(report.missing)} not found"
        )
        for entry_id, letter in report.still_failing.items():
            info(f"  [red]still failing[/] {entry_id}: {letter.error[:200]}")
        for entry_id, problem in report.unreadable.items():
            info(f"  [yellow]unreadable[/] {entry_id}: {problem[:200]}")
        for entry_id in report.missing:
            info(f"  [yellow]not found[/] {entry_id}")
    if report.still_failing or report.unreadable or report.missing:
        raise typer.Exit(EXIT_FINDING)


@app.command("purge")
def purge(
    ids: Annotated[
        list[str] | None, typer.Argument(help="DLQ entry ids to delete.", show_default=False)
    ] = None,
    purge_all: Annotated[bool, typer.Option("--all", help="Delete every entry.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    stream: StreamOption = None,
) -> None:
    """Delete entries for good (name ids, or --all)."""
    from mdp.pipeline.dlq import purge as purge_entries

    if bool(ids) == purge_all:
        fail("name entry ids or pass --all (not both)")
    settings = _settings()
    target = stream or settings.dlq_stream
    what = "every entry" if purge_all else f"{len(ids or [])} entr{'y' if len(ids or []) == 1 else 'ies'}"
    if not yes and not typer.confirm(f"delete {what} of {target}?"):
        fail("aborted", EXIT_FINDING)
    deleted = _with_bus(settings, lambda bus: purge_entries(bus, target, None if purge_all else ids))
    info(f"deleted {deleted} entr{'y' if deleted == 1 else 'ies'} from {target}")


__all__ = ["app"]
