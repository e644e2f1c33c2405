"""``mdp schemas fetch``: write a track's schemas to a directory as ``<name>.json`` (the seeds'
``fetch_registry_schemas.py``), safely.

* **One index request**, then the content of each file that must be written (by sha256).
* **Path safety**: every name goes through :func:`~mdp.drift.local.schema_path` before anything is
  written; one unsafe name aborts the whole fetch.
* **Local edits are kept**: an existing file is replaced only if it still has the sha256 the manifest
  recorded when it was fetched (or already has the new content). Otherwise (edited, unreadable, or not
  written by a fetch) it is a conflict: nothing at all is written and :class:`FetchConflict` lists them,
  unless ``force``. A manifest of another track is a conflict too.
* **Atomic writes**: temp file in the same directory, ``fsync``, ``os.replace``, ``fsync`` of the
  directory; the manifest is written last, so a crash leaves every file old or new, never torn.
* **Manifest** ``_manifest.json``: track, registry URL, ``fetched_at`` and each schema's version, sha256
  and schema id. Entries of schemas not fetched this time are kept while their file exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mdp.client import IndexEntry, RegistryClient, TrackIndex
from mdp.drift.errors import DriftError, FetchConflict, LocalSchemaError
from mdp.drift.local import (
    MANIFEST_NAME,
    Manifest,
    ManifestEntry,
    file_sha256,
    read_manifest,
    schema_path,
)

Action = Literal["created", "updated", "unchanged", "overwritten"]


@dataclass(frozen=True, slots=True)
class PlannedFile:
    entry: IndexEntry
    path: Path
    action: Action


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """What a fetch will do, decided before anything is written."""

    track: str
    directory: Path
    files: tuple[PlannedFile, ...]
    conflicts: tuple[str, ...]
    stale: tuple[str, ...]
    manifest: Manifest | None

    @property
    def to_download(self) -> list[str]:
        """sha256 values whose content must be downloaded (files to create or replace)."""
        return list(dict.fromkeys(f.entry.sha256 for f in self.files if f.action != "unchanged"))


@dataclass(frozen=True, slots=True)
class FetchReport:
    track: str
    directory: Path
    registry_url: str
    fetched_at: float
    files: tuple[tuple[str, Action, str, str], ...]  # (name, action, version, sha256)
    stale: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "track": self.track,
            "directory": str(self.directory),
            "registry_url": self.registry_url,
            "fetched_at": _rfc3339(self.fetched_at),
            "schemas": [
                {"schema": name, "action": action, "version": version, "sha256": sha}
                for name, action, version, sha in self.files
            ],
            "stale": list(self.stale),
        }


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def select(index: TrackIndex, names: Sequence[str] = ()) -> list[IndexEntry]:
    """The index entries to fetch: all, or the named ones (:class:`DriftError` for an unknown name)."""
    if not names:
        return list(index.schemas)
    by_name = {entry.name: entry for entry in index.schemas}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise DriftError(f"not in track {index.track}: {', '.join(unknown)}")
    return [by_name[name] for name in dict.fromkeys(names)]


def plan_fetch(
    directory: Path, track: str, entries: Iterable[IndexEntry], *, force: bool = False
) -> FetchPlan:
    """Decide every file's action; raises :class:`FetchConflict` (nothing written) unless ``force``."""
    entries = list(entries)
    paths = [(entry, schema_path(directory, entry.name)) for entry in entries]  # all names checked first
    if directory.exists() and not directory.is_dir():
        raise LocalSchemaError(directory, "exists and is not a directory")
    manifest = read_manifest(directory) if directory.is_dir() else None
    conflicts: list[str] = []
    if manifest is not None and manifest.track != track:
        conflicts.append(f"{MANIFEST_NAME} (track {manifest.track}, not {track})")
    recorded = manifest.schemas if manifest is not None and manifest.track == track else {}
    files: list[PlannedFile] = []
    for entry, path in paths:
        action = _action(entry, path, recorded.get(entry.name))
        if action == "overwritten" and not force:
            conflicts.append(entry.name)
        files.append(PlannedFile(entry, path, action))
    if conflicts and not force:
        raise FetchConflict(conflicts)
    wanted = {entry.name for entry in entries}
    stale = tuple(
        path.stem
        for path in (sorted(directory.glob("*.json")) if directory.is_dir() else [])
        if path.name != MANIFEST_NAME and path.stem not in wanted
    )
    return FetchPlan(track, directory, tuple(files), tuple(conflicts), stale, manifest)


def _action(entry: IndexEntry, path: Path, recorded: ManifestEntry | None) -> Action:
    if not path.exists() and not path.is_symlink():
        return "created"
    if path.is_dir():
        raise LocalSchemaError(path, "is a directory")
    try:
        current = file_sha256(path)
    except LocalSchemaError:
        return "overwritten"  # unreadable or not JSON: a local change we must not silently replace
    if current == entry.sha256:
        return "unchanged"
    if recorded is not None and recorded.sha256 == current:
        return "updated"
    return "overwritten"


async def download(client: RegistryClient, shas: Sequence[str]) -> dict[str, Any]:
    """The contents of ``shas`` (verified against their sha256 by the client)."""
    return {sha: (await client.get_by_sha(sha)).content for sha in shas}


def write_fetch(plan: FetchPlan, contents: dict[str, Any], *, registry_url: str, now: float) -> FetchReport:
    """Write the planned files atomically, then the manifest; returns what was done."""
    plan.directory.mkdir(parents=True, exist_ok=True)
    for item in plan.files:
        if item.action != "unchanged":
            _atomic_write(item.path, _render(contents[item.entry.sha256]))
    _fsync_directory(plan.directory)
    schemas: dict[str, ManifestEntry] = {}
    if plan.manifest is not None and plan.manifest.track == plan.track:
        schemas.update(
            (name, entry)
            for name, entry in plan.manifest.schemas.items()
            if (plan.directory / f"{name}.json").is_file()
        )
    for item in plan.files:
        schemas[item.entry.name] = ManifestEntry(
            version=item.entry.version, sha256=item.entry.sha256, schema_id=item.entry.schema_id
        )
    manifest = Manifest(
        track=plan.track,
        registry_url=registry_url,
        fetched_at=datetime.fromtimestamp(now, UTC),
        schemas=dict(sorted(schemas.items())),
    )
    _atomic_write(plan.directory / MANIFEST_NAME, manifest.model_dump_json(indent=2).encode() + b"\n")
    _fsync_directory(plan.directory)
    return FetchReport(
        plan.track,
        plan.directory,
        registry_url,
        now,
        tuple((f.entry.name, f.action, f.entry.version, f.entry.sha256) for f in plan.files),
        plan.stale,
    )


async def fetch_track(
    client: RegistryClient,
    track: str,
    directory: Path,
    *,
    force: bool = False,
    names: Sequence[str] = (),
    now: float,
) -> FetchReport:
    """The whole fetch: index, plan (conflicts raise before any write), contents, writes, manifest.

    File I/O is blocking: this is for CLIs and scripts, not for a service's event loop.
    """
    index = await client.get_index(track)
    plan = plan_fetch(directory, track, select(index, names), force=force)
    contents = await download(client, plan.to_download)
    return write_fetch(plan, contents, registry_url=client.base_url, now=now)


def _render(content: Any) -> bytes:
    # The stdlib writer keeps integers beyond 64 bits exact (orjson refuses them); the canonical sha256
    # does not depend on this formatting.
    return (json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = [
    "FetchPlan",
    "FetchReport",
    "PlannedFile",
    "download",
    "fetch_track",
    "plan_fetch",
    "select",
    "write_fetch",
]
