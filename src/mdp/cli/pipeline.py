"""``mdp pipeline``: run the enforcement pipeline and feed recorded bars into it.

Exit codes: 0 ok; 1 a finding (``replay``: some lines could not be published); 2 an error (bad
configuration, port in use, unreadable file, event bus unreachable).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from mdp.cli.output import EXIT_FINDING, fail, info
from mdp.errors import MdpError
from mdp.pipeline.settings import PipelineSettings
from mdp.settings import load_settings

app = typer.Typer(
    help="The enforcement pipeline (md.bars.raw -> md.bars / md.bars.dlq).", no_args_is_help=True
)


@app.command("run")
def run_pipeline(
    host: Annotated[
        str | None, typer.Option(help="Interface of /health and /metrics. Default 127.0.0.1.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port of /health and /metrics. Default 8080.")] = None,
) -> None:
    """Consume the input stream, enforce, forward or dead-letter until SIGTERM / Ctrl-C (drains the batch)."""
    from mdp.pipeline.app import create_app
    from mdp.pipeline.runtime import PipelineRuntime
    from mdp.web.logs import configure_logging
    from mdp.web.server import ServedApp, run

    try:
        settings = load_settings(PipelineSettings, pipeline_host=host, pipeline_port=port)
        configure_logging(settings.log_level, settings.log_format)
        runtime = PipelineRuntime.from_settings(settings)
        served = ServedApp("pipeline", create_app(runtime), settings.pipeline_host, settings.pipeline_port)
    except MdpError as exc:
        fail(str(exc))
    try:
        run([served], workers=[runtime.run])
    except (RuntimeError, OSError) as exc:
        fail(str(exc))


@app.command("replay")
def replay_file(
    file: Annotated[Path, typer.Argument(help="A .csv (md.Bar columns) or .jsonl file.", show_default=False)],
    rate: Annotated[
        float | None, typer.Option(min=0.001, help="Messages per second (default: as fast as possible).")
    ] = None,
    stream: Annotated[
        str | None, typer.Option(help="Target stream. Default: MDP_PIPELINE_INPUT_STREAM.")
    ] = None,
) -> None:
    """Publish the records of FILE to the pipeline's input stream, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mdp.pipeline.replay import FileReport, count_lines, publish_file
    from mdp.pulse.envelope import SchemaRef
    from mdp.pulse.factory import create_bus

    if not file.is_file():
        fail(f"{file}: no such file")
    try:
        settings = load_settings(PipelineSettings, pipeline_input_stream=stream)
    except MdpError as exc:
        fail(str(exc))
    track, name = settings.binding
    target = settings.pipeline_input_stream

    async def main() -> FileReport:
        async with create_bus(settings, source="mdp-replay") as bus:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=False,
            ) as progress:
                task = progress.add_task(f"{file.name} -> {target}", total=count_lines(file))
                return await publish_file(
                    bus,
                    file,
                    target,
                    schema=SchemaRef(track, name),
                    rate=rate,
                    progress=lambda n: progress.advance(task, n),
                )

    try:
        report = asyncio.run(main())
    except (MdpError, OSError, UnicodeDecodeError) as exc:
        fail(f"{type(exc).__name__}: {exc}")
    info(f"published {report.published} message(s) to {target}; skipped {report.skipped}")
    for problem in report.problems:
        info(f"  [yellow]skipped[/] {problem}")
    if report.skipped:
        raise typer.Exit(EXIT_FINDING)


__all__ = ["app"]
