"""A service's local schema copies: a directory of ``<name>.json`` files, or the bundled contracts.

A schema directory is what ``mdp schemas fetch`` writes (the seeds' ``tests/fixtures/schemas/``): one
``<name>.json`` per schema plus ``_manifest.json`` (which version and sha256 each file had when fetched).
A file's identity is the canonical sha256 of its content, so formatting never counts as drift. Its
version comes from the manifest when the file still has the sha256 the manifest recorded, else it is
unknown (``None``). Files whose stem is not a schema name (``my fixture.json``) are ignored and listed.

Every file is untrusted input: it must be UTF-8 JSON (big integers kept exact), at most
``MAX_SCHEMA_FILE_BYTES``, not nested past the parser's limit, and an object or a boolean.

Schema names become file names only through :func:`schema_path`, which refuses anything that could
escape the directory (``..``, ``/``, ``\\``, NUL, absolute paths) before touching the file system.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mdp.client.cache import content_sha256
from mdp.client.models import NAME_RE, SHA256_RE, TRACK_RE, parse_json
from mdp.contracts.bundled import bundled_track
from mdp.contracts.errors import ContractError
from mdp.drift.compare import LocalSchema
from mdp.drift.errors import LocalSchemaError, UnsafeSchemaName

log = logging.getLogger("mdp.drift")

MANIFEST_NAME = "_manifest.json"
MAX_SCHEMA_FILE_BYTES = 16 * 1024 * 1024
MAX_NAME_LENGTH = 200
_NAME = re.compile(NAME_RE)


def check_schema_name(name: str) -> str:
    """``name`` if it is a schema name that is safe as a file name; :class:`UnsafeSchemaName` otherwise."""
    if not isinstance(name, str) or not name:
        raise UnsafeSchemaName("a schema name must be a non-empty string")
    if "\x00" in name:
        raise UnsafeSchemaName(f"schema name {name!r} contains a NUL character")
    if "/" in name or "\\" in name or os.path.isabs(name):
        raise UnsafeSchemaName(f"schema name {name!r} contains a path separator")
    if ".." in name or name.startswith("."):
        raise UnsafeSchemaName(f"schema name {name!r} contains '..' or starts with '.'")
    if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        raise UnsafeSchemaName(f"{name!r} is not a schema name (dotted identifiers, at most 200 characters)")
    return name


def schema_path(directory: Path, name: str) -> Path:
    """``<directory>/<name>.json``, guaranteed to be directly inside ``directory``."""
    path = directory / f"{check_schema_name(name)}.json"
    # Defence in depth: whatever the checks above missed, the file must sit directly in the directory.
    if path.parent != directory or path.name != f"{name}.json":
        raise UnsafeSchemaName(f"schema name {name!r} escapes {directory}")
    return path


def read_schema_file(path: Path) -> Any:
    """The parsed schema in ``path``; :class:`LocalSchemaError` if it is not a usable JSON Schema document."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SCHEMA_FILE_BYTES + 1)
    except OSError as exc:
        raise LocalSchemaError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_SCHEMA_FILE_BYTES:
        raise LocalSchemaError(path, f"larger than {MAX_SCHEMA_FILE_BYTES} bytes")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LocalSchemaError(path, f"not UTF-8 (byte {exc.start})") from exc
    try:
        content = parse_json(raw)
    except ValidationError as exc:
        message = exc.errors()[0].get("msg", "invalid JSON") if exc.errors() else "invalid JSON"
        raise LocalSchemaError(path, f"not valid JSON: {message}") from exc
    if not isinstance(content, dict | bool):
        raise LocalSchemaError(path, f"a JSON Schema is an object or a boolean, not {type(content).__name__}")
    return content


def schema_identity(path: Path, content: Any) -> str:
    """Canonical sha256 of ``content`` read from ``path`` (:class:`LocalSchemaError` if it has none)."""
    try:
        return content_sha256(content)
    except ContractError as exc:
        raise LocalSchemaError(path, str(exc)) from exc


def file_sha256(path: Path) -> str:
    """Canonical sha256 of the schema in ``path`` (:class:`LocalSchemaError` if unusable)."""
    return schema_identity(path, read_schema_file(path))


# -- manifest -----------------------------------------------------------------------------------------


class ManifestEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: str | None = None
    sha256: str = Field(pattern=SHA256_RE)
    schema_id: int | None = None


class Manifest(BaseModel):
    """``_manifest.json``: what ``mdp schemas fetch`` wrote, so later runs can tell local edits apart."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    format: int = 1
    track: str = Field(pattern=TRACK_RE)
    registry_url: str | None = None
    fetched_at: datetime
    schemas: dict[str, ManifestEntry] = Field(default_factory=dict)


def read_manifest(directory: Path) -> Manifest | None:
    """The directory's manifest, or ``None`` if absent or unusable (logged: it is only a hint)."""
    path = directory / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring unreadable schema manifest %s: %s", path, exc)
        return None
    try:
        return Manifest.model_validate_json(raw)
    except ValidationError as exc:
        log.warning("ignoring malformed schema manifest %s: %s", path, exc.errors()[0].get("msg"))
        return None


# -- loading --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalSchemas:
    """The schemas of a directory (name -> :class:`LocalSchema`), its manifest, and the files ignored."""

    schemas: Mapping[str, LocalSchema]
    manifest: Manifest | None = None
    ignored: tuple[str, ...] = field(default=())


def load_schema_dir(directory: Path, track: str | None = None) -> LocalSchemas:
    """Read every ``<name>.json`` of ``directory``; versions from a manifest of the same ``track``.

    Raises :class:`LocalSchemaError` for a missing directory, a directory without any schema file, or
    any schema file that cannot be used (one bad file fails the whole load: a partial view would hide it).
    """
    if not directory.is_dir():
        raise LocalSchemaError(directory, "no such directory")
    manifest = read_manifest(directory)
    if manifest is not None and track is not None and manifest.track != track:
        log.info(
            "schema manifest of %s is for track %s, not %s: versions unknown",
            directory,
            manifest.track,
            track,
        )
        manifest_entries: Mapping[str, ManifestEntry] = {}
    else:
        manifest_entries = manifest.schemas if manifest is not None else {}
    schemas: dict[str, LocalSchema] = {}
    ignored: list[str] = []
    for path in sorted(directory.iterdir()):
        if path.name == MANIFEST_NAME or path.suffix != ".json":
            continue
        if not _NAME.fullmatch(path.stem) or len(path.stem) > MAX_NAME_LENGTH or not path.is_file():
            ignored.append(path.name)
            continue
        content = read_schema_file(path)
        sha = schema_identity(path, content)
        entry = manifest_entries.get(path.stem)
        version = entry.version if entry is not None and entry.sha256 == sha else None
        schemas[path.stem] = LocalSchema(path.stem, sha, version, content)
    if not schemas:
        raise LocalSchemaError(directory, "holds no <schema name>.json file")
    return LocalSchemas(schemas, manifest, tuple(ignored))


def bundled_schemas(track: str) -> dict[str, LocalSchema]:
    """The contracts bundled with this mdp for ``track``: what an mdp service was built against.

    Their version is unknown (``None``): the package version is not a schema version.
    """
    return {
        name: LocalSchema(name, content_sha256(content), None, content)
        for name, content in bundled_track(track).items()
    }


__all__ = [
    "MANIFEST_NAME",
    "MAX_SCHEMA_FILE_BYTES",
    "LocalSchemas",
    "Manifest",
    "ManifestEntry",
    "bundled_schemas",
    "check_schema_name",
    "file_sha256",
    "load_schema_dir",
    "read_manifest",
    "read_schema_file",
    "schema_identity",
    "schema_path",
]
