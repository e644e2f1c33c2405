"""``mdp validate SCHEMA_FILE|track/name [INPUT.jsonl|-]``: check JSON lines against a schema.

The schema is a local JSON Schema file, or ``track/name`` fetched from the registry at REGISTRY_URL (or
``--registry-url``) through the client SDK, which falls back to its on-disk cache (MDP_DATA_DIR) when
the registry is down. Lines are checked by the same enforcer the pipeline uses, in strict mode, so a line
fails here exactly when the pipeline would dead-letter it. Blank lines are skipped.

Exit codes: 0 every line valid; 1 some line invalid or malformed; 2 an error (unreadable input, a schema
file that is not a valid JSON Schema, an unknown subject, or the registry unreachable with nothing cached).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer

from mdp.cli.output import EXIT_FINDING, fail, print_json
from mdp.enforcement import (
    Enforcer,
    InvalidSchema,
    MemorySchemaProvider,
    SchemaRef,
    SchemaUnavailable,
    Verdict,
)
from mdp.enforcement.validators import SchemaContent, compile_schema
from mdp.errors import MdpError
from mdp.settings import MdpSettings, load_settings

SUBJECT = re.compile(r"^(?P<track>v[0-9]{1,3})/(?P<name>[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*)$")
BATCH = 1000
MAX_SCHEMA_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class LoadedSchema:
    """A schema to validate against and where it came from (``file`` or ``registry``)."""

    ref: SchemaRef
    content: SchemaContent
    source: str


def schema_from_file(path: Path) -> LoadedSchema:
    """Read and compile a JSON Schema file; :class:`InvalidSchema` if it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SchemaUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_SCHEMA_BYTES:
        raise InvalidSchema(f"{path} is larger than {MAX_SCHEMA_BYTES} bytes")
    compiled = compile_schema(raw)  # InvalidSchema for bad JSON, a non-schema, or a remote $ref
    content: SchemaContent = orjson.loads(raw)
    return LoadedSchema(SchemaRef("file", str(path), compiled.sha256), content, "file")


def schema_from_registry(track: str, name: str, settings: MdpSettings) -> LoadedSchema:
    """The latest ``track``/``name`` from the registry (the client's cache during an outage)."""
    from prometheus_client import CollectorRegistry

    from mdp.client import (
        ClientError,
        RegistryDisabled,
        RegistryUnavailable,
        SchemaNotFound,
        SyncRegistryClient,
    )

    try:
        with SyncRegistryClient.from_settings(settings, metrics_registry=CollectorRegistry()) as client:
            record = client.get_schema(track, name)
    except RegistryDisabled as exc:
        raise SchemaUnavailable(f"{exc}; pass a schema file instead") from exc
    except SchemaNotFound as exc:
        raise SchemaUnavailable(f"the registry at {settings.registry_url} has no {track}/{name}") from exc
    except RegistryUnavailable as exc:
        raise SchemaUnavailable(
            f"registry at {settings.registry_url} is unreachable and {track}/{name} is not cached: {exc}"
        ) from exc
    except ClientError as exc:
        raise SchemaUnavailable(f"cannot fetch {track}/{name}: {exc}") from exc
    compile_schema(record.content, record.sha256)  # refuse an unusable schema before reading any input
    return LoadedSchema(SchemaRef(track, name, record.sha256), record.content, "registry")


def load_schema(spec: str, registry_url: str | None) -> LoadedSchema:
    """``spec`` is an existing file, else ``track/name`` in the registry."""
    path = Path(spec)
    if path.is_file():
        return schema_from_file(path)
    subject = SUBJECT.match(spec)
    if subject is None:
        raise SchemaUnavailable(f"{spec!r} is neither a schema file nor a registry subject like v1/md.Bar")
    settings = load_settings(MdpSettings, registry_url=registry_url)
    return schema_from_registry(subject["track"], subject["name"], settings)


def numbered_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its line break) for every non-blank line."""
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line.rstrip(b"\r\n")


def check_lines(schema: LoadedSchema, stream: IO[bytes]) -> Iterator[tuple[int, Verdict]]:
    """Every non-blank line's verdict (strict mode: a failure is what the pipeline would dead-letter)."""
    schemas = MemorySchemaProvider()
    schemas.put(schema.ref.track, schema.ref.name, schema.content)
    enforcer = Enforcer(schemas=schemas, mode="strict", log_failures=False, started_at=0.0, instance="cli")
    lines = numbered_lines(stream)
    while batch := list(islice(lines, BATCH)):
        verdicts = enforcer.enforce_batch([line for _, line in batch], schema.ref)
        yield from zip((number for number, _ in batch), verdicts, strict=True)


def _describe(schema: LoadedSchema) -> str:
    sha = (schema.ref.sha256 or "")[:12]
    where = schema.ref.name if schema.source == "file" else f"{schema.ref.track}/{schema.ref.name}"
    return f"{where} (sha256 {sha}…)"


def _open_input(source: str) -> IO[bytes]:
    if source == "-":
        return sys.stdin.buffer
    try:
        return Path(source).open("rb")
    except OSError as exc:
        return fail(f"cannot read {source}: {exc.strerror or exc}")


def validate(
    schema: Annotated[
        str, typer.Argument(metavar="SCHEMA_FILE|TRACK/NAME", help="JSON Schema file or v1/md.Bar.")
    ],
    source: Annotated[str, typer.Argument(metavar="[INPUT.jsonl|-]", help="JSON lines; - is stdin.")] = "-",
    registry_url: Annotated[
        str | None, typer.Option("--registry-url", help="Registry base URL. Default: REGISTRY_URL.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON document.")] = False,
) -> None:
    """Validate JSON lines against a schema file or a registry subject (v1/md.Bar).

    Prints line number, instance path and message for each failure, then a summary.

    Exit codes: 0 all lines valid; 1 some line invalid or malformed; 2 an error (unreadable input,
    invalid schema, unknown subject, registry unreachable with nothing cached).
    """
    try:
        loaded = load_schema(schema, registry_url)
    except MdpError as exc:
        fail(str(exc))
    stream = _open_input(source)
    total = invalid = 0
    failures: list[dict[str, Any]] = []
    try:
        for number, verdict in check_lines(loaded, stream):
            total += 1
            if verdict.valid:
                continue
            invalid += 1
            if as_json:
                detail = verdict.to_dict()
                failures.append(
                    {"line": number, **{key: detail[key] for key in ("outcome", "reason", "errors")}}
                )
                continue
            for issue in verdict.errors:
                typer.echo(f"line {number}: {issue.path or '(root)'}: {issue.message}")
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or exc}")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if as_json:
        report = {
            "schema": {**loaded.ref.to_dict(), "source": loaded.source},
            "lines": total,
            "valid": total - invalid,
            "invalid": invalid,
            "failures": failures,
        }
        print_json(report)
    else:
        typer.echo(f"{_describe(loaded)}: {total} line(s), {total - invalid} valid, {invalid} invalid")
    if invalid:
        raise typer.Exit(EXIT_FINDING)


def register(app: typer.Typer) -> None:
    """Add ``mdp validate`` as a top-level command."""
    app.command("validate")(validate)


__all__ = ["LoadedSchema", "check_lines", "load_schema", "register", "schema_from_file", "validate"]
