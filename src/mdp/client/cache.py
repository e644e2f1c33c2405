"""The client's schema cache: memory for the hot path, a per-track disk snapshot for restarts.

In memory, records are keyed by ``(track, name)`` (what validators ask for) and contents by sha256 (what
never changes: a content fetched once is never fetched again, whatever track or name points at it).

On disk, each track is one JSON file, ``<cache_dir>/<track>.json``::

    {"format": 1, "track": "v1", "saved_at": 1764091800.5, "etag": "\\"v1-42\\"",
     "index": {...the last TrackIndex...}, "records": [{...SchemaRecord with its content...}, ...]}

One file per track keeps index and contents consistent with each other and costs one write per change.
Writes are atomic (temp file in the same directory, fsync, ``os.replace``, fsync of the directory), so a
crash leaves the old snapshot or the new one, never half of one. The snapshot is read at start-up and is
untrusted: a record whose content does not hash to its sha256 is dropped (and the track's ETag with it, so
the next poll downloads the index again); an unreadable file is ignored with a warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from mdp.client.diff import SchemaChange, content_changes
from mdp.client.models import TRACK_RE, SchemaContent, SchemaRecord, TrackIndex, parse_json
from mdp.contracts.errors import CanonicalizationError
from mdp.contracts.hashing import compute_sha256

log = logging.getLogger("mdp.client.cache")

SNAPSHOT_FORMAT = 1
MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024
_TRACK = re.compile(TRACK_RE)
_STALE_TEMP_SECONDS = 3600.0


def content_sha256(content: SchemaContent) -> str:
    """Canonical sha256 of a schema content (an object or a boolean)."""
    value: Any = content
    return compute_sha256(value)


def verified(content: SchemaContent, sha256: str) -> bool:
    """Whether ``content`` really is the content identified by ``sha256``."""
    try:
        return content_sha256(content) == sha256
    except CanonicalizationError:
        return False


class SchemaCache:
    """Records by (track, name), contents by sha256, the last index and ETag per track, and snapshots."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._records: dict[tuple[str, str], SchemaRecord] = {}
        self._tracks: dict[str, dict[str, SchemaRecord]] = {}
        self._contents: dict[str, SchemaContent] = {}
        self._schema_ids: dict[str, int] = {}
        self._indexes: dict[str, TrackIndex] = {}
        self._etags: dict[str, str] = {}
        self._generation: dict[str, int] = {}
        self._written: dict[str, int] = {}
        self._write_lock = threading.Lock()
        # The hot path's look-up: the dict's own C-level ``get``, keyed by (track, name).
        self.lookup: Callable[[tuple[str, str]], SchemaRecord | None] = self._records.get

    # -- reads -------------------------------------------------------------------------------------
    def get(self, track: str, name: str) -> SchemaRecord | None:
        """The cached record, or ``None`` (the hot path: one dict look-up)."""
        return self._records.get((track, name))

    def content(self, sha256: str) -> SchemaContent | None:
        return self._contents.get(sha256)

    def schema_id(self, sha256: str) -> int | None:
        return self._schema_ids.get(sha256)

    def records(self, track: str) -> list[SchemaRecord]:
        """Every cached record of ``track``, sorted by name."""
        records = self._tracks.get(track, {})
        return [records[name] for name in sorted(records)]

    def index(self, track: str) -> TrackIndex | None:
        return self._indexes.get(track)

    def etag(self, track: str) -> str | None:
        """ETag of the index the track's records were last completely synced from."""
        return self._etags.get(track)

    def tracks(self) -> list[str]:
        return sorted(set(self._tracks) | set(self._indexes))

    def known_contents(self) -> Collection[str]:
        """The sha256 of every cached content (a live view)."""
        return self._contents.keys()

    def __len__(self) -> int:
        return len(self._records)

    # -- writes ------------------------------------------------------------------------------------
    def _set(self, record: SchemaRecord) -> None:
        self._records[(record.track, record.name)] = record
        self._tracks.setdefault(record.track, {})[record.name] = record
        self._contents.setdefault(record.sha256, record.content)
        self._schema_ids[record.sha256] = record.schema_id

    def _touch(self, track: str) -> None:
        self._generation[track] = self._generation.get(track, 0) + 1

    def put_content(self, sha256: str, content: SchemaContent, schema_id: int) -> None:
        """Remember a content already verified against ``sha256`` (contents never change per sha256)."""
        self._contents.setdefault(sha256, content)
        self._schema_ids[sha256] = schema_id

    def put(self, record: SchemaRecord) -> tuple[bool, SchemaChange | None]:
        """Store a full record (verified by the caller); returns (anything changed, content change)."""
        old = self._records.get((record.track, record.name))
        if old == record:
            return False, None
        self._set(record)
        self._touch(record.track)
        old_sha = old.sha256 if old is not None else None
        if old_sha == record.sha256:
            return True, None
        return True, SchemaChange(record.track, record.name, old_sha, record.sha256)

    def put_index(self, index: TrackIndex) -> None:
        """Keep an index fetched outside a sync (served when the registry is down); records untouched."""
        if self._indexes.get(index.track) != index:
            self._indexes[index.track] = index
            self._touch(index.track)

    def apply_index(
        self, index: TrackIndex, etag: str | None, fetched: dict[str, SchemaContent]
    ) -> tuple[bool, list[SchemaChange], bool]:
        """Make the track's records match ``index``; returns (records changed, content changes, complete).

        Contents come from the by-sha cache or ``fetched`` (verified by the caller). An entry whose content
        is missing keeps its old record and makes the sync incomplete: the ETag is then forgotten so the
        next poll downloads the index again instead of getting a 304.
        """
        track = index.track
        current = self._tracks.get(track, {})
        incoming = {entry.name: entry.sha256 for entry in index.schemas}
        wanted = {change.name: change for change in content_changes(track, _shas(current), incoming)}
        changed = False
        complete = True
        applied: list[SchemaChange] = []
        for entry in index.schemas:
            old = current.get(entry.name)
            if old is not None and old.matches(entry):
                continue
            if old is not None and old.sha256 == entry.sha256:
                keep = old.version == entry.version
                update = {
                    "version": entry.version,
                    "schema_id": entry.schema_id,
                    "state": entry.state,
                    "updated_at": entry.updated_at,
                    "classification": old.classification if keep else None,
                    "created_at": old.created_at if keep else None,
                    "deprecated_reason": old.deprecated_reason if old.state == entry.state else None,
                }
                self._set(old.model_copy(update=update))
                changed = True
                continue
            # Contents may be the boolean schema ``false``: test membership, never truthiness.
            if entry.sha256 in self._contents:
                content = self._contents[entry.sha256]
            elif entry.sha256 in fetched:
                content = fetched[entry.sha256]
            else:
                complete = False
                continue
            self._set(SchemaRecord.from_index(track, entry, content))
            applied.append(wanted[entry.name])
            changed = True
        for name in [name for name in current if name not in incoming]:
            record = current.pop(name)
            del self._records[(track, name)]
            applied.append(SchemaChange(track, name, record.sha256, None))
            changed = True
        dirty = changed
        previous = self._indexes.get(track)
        # An index is identified by its revision (the newest outbox event of the track); comparing 1,000
        # entries field by field would cost more than the rest of the diff.
        if previous is None or previous.revision != index.revision:
            dirty = True
        self._indexes[track] = index
        if complete and etag is not None:
            dirty = dirty or self._etags.get(track) != etag
            self._etags[track] = etag
        elif self._etags.pop(track, None) is not None:
            dirty = True
        if dirty:
            self._touch(track)
        applied.sort(key=lambda change: change.name)
        return changed, applied, complete

    # -- snapshot ----------------------------------------------------------------------------------
    def snapshot(self, track: str) -> tuple[int, bytes]:
        """(generation, bytes) of the track's snapshot; serialise here, write anywhere (a thread)."""
        index = self._indexes.get(track)
        document = {
            "format": SNAPSHOT_FORMAT,
            "track": track,
            "saved_at": time.time(),
            "etag": self._etags.get(track),
            "index": index.model_dump() if index is not None else None,
            "records": [_record_document(record) for record in self.records(track)],
        }
        return self._generation.get(track, 0), _dumps(document)

    def dirty(self, track: str) -> bool:
        return self._generation.get(track, 0) > self._written.get(track, 0)

    def write_snapshot(self, track: str, generation: int, data: bytes) -> bool:
        """Atomically replace the track's snapshot, unless a newer one was written already."""
        if self.directory is None or not _TRACK.match(track):
            return False
        with self._write_lock:
            if generation <= self._written.get(track, 0):
                return False
            try:
                _atomic_write(self.directory, f"{track}.json", data)
            except OSError as exc:
                log.warning("could not write the schema snapshot", extra={"track": track, "error": str(exc)})
                return False
            self._written[track] = generation
            return True

    def save(self, track: str) -> bool:
        """Serialise and write the track's snapshot now (in the calling thread) if it changed."""
        if not self.dirty(track):
            return False
        generation, data = self.snapshot(track)
        return self.write_snapshot(track, generation, data)

    def load(self) -> int:
        """Read every track snapshot in the directory; returns how many records were loaded."""
        if self.directory is None or not self.directory.is_dir():
            return 0
        loaded = 0
        for path in sorted(self.directory.iterdir()):
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                _remove_stale_temp(path)
                continue
            if path.suffix != ".json" or not _TRACK.match(path.stem):
                continue
            loaded += self._load_track(path.stem, path)
        return loaded

    def _load_track(self, track: str, path: Path) -> int:
        try:
            if path.stat().st_size > MAX_SNAPSHOT_BYTES:
                raise ValueError(f"larger than {MAX_SNAPSHOT_BYTES} bytes")
            document = parse_json(path.read_bytes())
            if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
                raise ValueError("not a format-1 snapshot")
            if document.get("track") != track:
                raise ValueError("snapshot is for another track")
            raw_records = document.get("records")
            if not isinstance(raw_records, list):
                raise ValueError("records is not a list")
            index = TrackIndex.model_validate(document["index"]) if document.get("index") else None
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("ignoring unreadable schema snapshot", extra={"path": str(path), "error": str(exc)})
            return 0
        loaded = dropped = 0
        for raw in raw_records:
            try:
                record = SchemaRecord.model_validate(raw)
            except ValidationError:
                dropped += 1
                continue
            if record.track != track or not verified(record.content, record.sha256):
                dropped += 1
                continue
            self._set(record)
            loaded += 1
        if index is not None and index.track == track:
            self._indexes[track] = index
        etag = document.get("etag")
        if isinstance(etag, str) and dropped == 0 and index is not None:
            self._etags[track] = etag
        if dropped:
            log.warning(
                "dropped corrupt records from the schema snapshot",
                extra={"path": str(path), "dropped": dropped},
            )
        self._generation[track] = self._written[track] = 0
        return loaded


def _dumps(document: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        # orjson stops at 64-bit integers; schemas may carry bigger ones (see mdp.contracts.hashing).
        return json.dumps(document, default=_json_default, ensure_ascii=False).encode()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _record_document(record: SchemaRecord) -> dict[str, Any]:
    # Hand-built rather than model_dump(): pydantic walks every content dict, orjson copies nothing.
    return {
        "track": record.track,
        "name": record.name,
        "version": record.version,
        "sha256": record.sha256,
        "schema_id": record.schema_id,
        "state": record.state,
        "deprecated_reason": record.deprecated_reason,
        "classification": record.classification,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "content": record.content,
    }


def _shas(records: dict[str, SchemaRecord]) -> dict[str, str]:
    return {name: record.sha256 for name, record in records.items()}


def _atomic_write(directory: Path, name: str, data: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, directory / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    # The rename itself must survive a power cut too.
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)


def _remove_stale_temp(path: Path) -> None:
    # A temp file younger than this may belong to another process writing right now.
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > _STALE_TEMP_SECONDS:
            path.unlink()


__all__ = ["MAX_SNAPSHOT_BYTES", "SNAPSHOT_FORMAT", "SchemaCache", "content_sha256", "verified"]
