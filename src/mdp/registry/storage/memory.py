"""In-memory schema storage: the reference adapter (tests, ``--storage memory``), thread-safe.

One re-entrant lock guards everything, so every write is atomic exactly like a database transaction and
readers never see a version without its outbox event.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from mdp.compat.model import Mode, Policy
from mdp.registry.errors import (
    ConcurrentModification,
    InvalidVersion,
    StorageError,
    SubjectNotFound,
    TrackNotFound,
)
from mdp.registry.storage.base import (
    DEFAULT_TRACKS,
    DEPRECATED,
    PUBLISHED,
    EventType,
    NewVersion,
    OutboxEvent,
    StoredSchema,
    Subject,
    SubjectView,
    TrackConfig,
    Version,
    deprecated_payload,
    published_payload,
)

_Key = tuple[str, str]


class MemorySchemaStorage:
    """:class:`~mdp.registry.storage.base.SchemaStorage` kept in process memory."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._tracks: dict[str, TrackConfig] = {config.track: config for config in DEFAULT_TRACKS}
        self._schemas: dict[int, StoredSchema] = {}
        self._schema_ids: dict[str, int] = {}
        self._subjects: dict[_Key, Subject] = {}
        self._versions: dict[_Key, list[Version]] = {}
        self._outbox: list[OutboxEvent] = []

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._closed = True

    def ping(self) -> None:
        self._check_open()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("storage is closed")

    # -- tracks ------------------------------------------------------------------------------------
    def get_track(self, track: str) -> TrackConfig | None:
        with self._lock:
            self._check_open()
            return self._tracks.get(track)

    def list_tracks(self) -> list[TrackConfig]:
        with self._lock:
            self._check_open()
            return [self._tracks[name] for name in sorted(self._tracks)]

    def put_track(self, track: str, compatibility: Mode, policy: Policy, now: datetime) -> TrackConfig:
        with self._lock:
            self._check_open()
            current = self._tracks.get(track)
            revision = current.revision if current else 0
            config = TrackConfig(track, Mode(compatibility), Policy(policy), revision)
            self._tracks[track] = config
            return config

    def revisions(self) -> dict[str, int]:
        with self._lock:
            self._check_open()
            return {name: config.revision for name, config in self._tracks.items()}

    # -- reads -------------------------------------------------------------------------------------
    def _require_track(self, track: str) -> TrackConfig:
        config = self._tracks.get(track)
        if config is None:
            raise TrackNotFound(f"track {track!r} does not exist")
        return config

    def _latest(self, key: _Key) -> Version | None:
        live = [version for version in self._versions.get(key, []) if version.deleted_at is None]
        return live[-1] if live else None

    def _view(self, key: _Key) -> SubjectView | None:
        subject = self._subjects.get(key)
        latest = self._latest(key)
        if subject is None or latest is None:
            return None
        return SubjectView(subject, latest)

    def track_index(self, track: str) -> tuple[int, list[SubjectView]]:
        with self._lock:
            self._check_open()
            config = self._require_track(track)
            views = [self._view(key) for key in sorted(self._subjects) if key[0] == track]
            return config.revision, [view for view in views if view is not None]

    def get_latest(self, track: str, name: str) -> SubjectView | None:
        with self._lock:
            self._check_open()
            return self._view((track, name))

    def list_versions(self, track: str, name: str, *, include_deleted: bool = False) -> list[Version]:
        with self._lock:
            self._check_open()
            versions = self._versions.get((track, name), [])
            return [v for v in versions if include_deleted or v.deleted_at is None]

    def get_version(self, track: str, name: str, version: str) -> Version | None:
        with self._lock:
            self._check_open()
            for candidate in self._versions.get((track, name), []):
                if candidate.version == version and candidate.deleted_at is None:
                    return candidate
            return None

    def get_schema(self, schema_id: int) -> StoredSchema | None:
        with self._lock:
            self._check_open()
            return self._schemas.get(schema_id)

    def get_schemas(self, schema_ids: Sequence[int]) -> dict[int, StoredSchema]:
        with self._lock:
            self._check_open()
            return {sid: self._schemas[sid] for sid in schema_ids if sid in self._schemas}

    def get_schema_by_sha(self, sha256: str) -> StoredSchema | None:
        with self._lock:
            self._check_open()
            schema_id = self._schema_ids.get(sha256)
            return None if schema_id is None else self._schemas[schema_id]

    def events(self, after: int, limit: int) -> list[OutboxEvent]:
        with self._lock:
            self._check_open()
            # Ids are 1..n in list order, so the slice starts right after ``after``.
            start = max(after, 0)
            return self._outbox[start : start + max(limit, 0)]

    # -- writes ------------------------------------------------------------------------------------
    def _append_event(
        self, kind: EventType, track: str, name: str, payload: dict[str, object], now: datetime
    ) -> OutboxEvent:
        event_id = len(self._outbox) + 1
        event = OutboxEvent(event_id, kind, track, name, {**payload, "event_id": event_id}, now)
        self._outbox.append(event)
        self._tracks[track] = replace(self._tracks[track], revision=event_id)
        return event

    def publish(self, new: NewVersion, now: datetime) -> tuple[SubjectView, OutboxEvent]:
        now = now.astimezone(UTC)  # what a database hands back, whatever zone the caller used
        with self._lock:
            self._check_open()
            self._require_track(new.track)
            key = (new.track, new.name)
            history = self._versions.get(key, [])
            previous = self._latest(key)
            if (previous.version if previous else None) != new.expected_previous:
                raise ConcurrentModification(f"{new.track}/{new.name} changed while publishing")
            if any(existing.version == new.version for existing in history):
                raise InvalidVersion(f"{new.track}/{new.name} already has version {new.version}")
            schema_id = self._schema_ids.get(new.sha256)
            if schema_id is None:
                schema_id = len(self._schemas) + 1
                self._schemas[schema_id] = StoredSchema(schema_id, new.sha256, bytes(new.canonical))
                self._schema_ids[new.sha256] = schema_id
            seq = max((existing.seq for existing in history), default=0) + 1
            version = Version(
                new.track, new.name, new.version, seq, schema_id, new.sha256,
                new.classification, new.forced, now,
            )  # fmt: skip
            current = self._subjects.get(key)
            subject = Subject(
                new.track, new.name, "active", None, current.created_at if current else now, now
            )
            self._subjects[key] = subject
            self._versions[key] = [*history, version]
            payload = published_payload(new, schema_id, previous, now)
            event = self._append_event(PUBLISHED, new.track, new.name, payload, now)
            return SubjectView(subject, version), event

    def deprecate(
        self, track: str, name: str, reason: str, now: datetime
    ) -> tuple[SubjectView, OutboxEvent | None]:
        now = now.astimezone(UTC)
        with self._lock:
            self._check_open()
            self._require_track(track)
            view = self._view((track, name))
            if view is None:
                raise SubjectNotFound(f"no subject {track}/{name}")
            if view.subject.state == "deprecated":
                return view, None
            subject = replace(view.subject, state="deprecated", deprecated_reason=reason, updated_at=now)
            self._subjects[(track, name)] = subject
            event = self._append_event(
                DEPRECATED, track, name, deprecated_payload(view.latest, reason, now), now
            )
            return SubjectView(subject, view.latest), event


__all__ = ["MemorySchemaStorage"]
