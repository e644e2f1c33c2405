"""The schema storage port: data types and the :class:`SchemaStorage` protocol every adapter implements.

Data model (the SQL adapter's tables mirror it one to one):

* a **schema** is a unique canonical JSON Schema content with a global integer id (sha256 -> id, as
  Confluent does; ``/schemas/ids/{id}`` is built on it), stored as its RFC 8785 canonical bytes;
* a **subject** is ``(track, name)`` with a state (active / deprecated), a deprecation reason and
  created/updated timestamps;
* a **version** belongs to a subject: semver string, ``seq`` (1..n in publish order, for the Confluent
  API), the schema id, the compatibility classification, whether it was forced, ``created_at`` and a
  nullable ``deleted_at`` (soft delete, used by the Confluent API);
* a **track config** holds a compatibility mode and a policy, plus the track's *revision*: the id of the
  newest outbox event touching the track (0 if none), the key of every read cache;
* the **outbox** is the ordered change feed (``schema.published`` / ``schema.deprecated``). A publish or a
  deprecation and its outbox event are written in one transaction. The event's ``payload`` is the
  :mod:`mdp.contracts.events` model dump; ``event_id`` is the row id, added when the event is read.

Adapters are synchronous (FastAPI runs them in its threadpool) and must be thread-safe. They raise only
:mod:`mdp.registry.errors` exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import orjson

from mdp.compat.model import Mode, Policy

SubjectState = Literal["active", "deprecated"]
EventType = Literal["schema.published", "schema.deprecated"]

PUBLISHED: EventType = "schema.published"
DEPRECATED: EventType = "schema.deprecated"


@dataclass(frozen=True, slots=True)
class TrackConfig:
    """A track's compatibility settings and its current revision."""

    track: str
    compatibility: Mode
    policy: Policy
    revision: int = 0


# The tracks every registry starts with (the SQL adapter's initial migration writes the same rows).
DEFAULT_TRACKS: tuple[TrackConfig, ...] = (
    TrackConfig("v1", Mode.FULL_TRANSITIVE, Policy.LENIENT),
    TrackConfig("v2", Mode.NONE, Policy.LENIENT),
)


@dataclass(frozen=True, slots=True)
class StoredSchema:
    """One unique canonical schema content and its global id."""

    schema_id: int
    sha256: str
    canonical: bytes

    def content(self) -> Any:
        """A fresh parsed copy of the schema."""
        return orjson.loads(self.canonical)


@dataclass(frozen=True, slots=True)
class Subject:
    """A named schema line in a track."""

    track: str
    name: str
    state: SubjectState
    deprecated_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Version:
    """One published version of a subject."""

    track: str
    name: str
    version: str
    seq: int
    schema_id: int
    sha256: str
    classification: str
    forced: bool
    created_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SubjectView:
    """A subject together with its latest (not deleted) version."""

    subject: Subject
    latest: Version


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One entry of the change feed; ``payload`` already carries ``event_id``."""

    id: int
    type: EventType
    track: str
    name: str
    payload: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A version the service decided to publish.

    ``expected_previous`` is the latest version the decision (compatibility, version number) was based on;
    the adapter refuses with :class:`~mdp.registry.errors.ConcurrentModification` if the subject's latest
    version is no longer that one when the write happens.
    """

    track: str
    name: str
    version: str
    sha256: str
    canonical: bytes
    classification: str
    forced: bool
    expected_previous: str | None


def epoch(moment: datetime) -> float:
    """Unix seconds of an aware datetime (the events' timestamp unit)."""
    return moment.timestamp()


def published_payload(
    new: NewVersion, schema_id: int, previous: Version | None, now: datetime
) -> dict[str, Any]:
    """The stored payload of a ``schema.published`` event (``event_id`` is added on read)."""
    return {
        "track": new.track,
        "name": new.name,
        "version": new.version,
        "sha256": new.sha256,
        "schema_id": schema_id,
        "previous_version": previous.version if previous else None,
        "previous_sha256": previous.sha256 if previous else None,
        "classification": new.classification,
        "forced": new.forced,
        "published_at": epoch(now),
    }


def deprecated_payload(latest: Version, reason: str, now: datetime) -> dict[str, Any]:
    """The stored payload of a ``schema.deprecated`` event (``event_id`` is added on read)."""
    return {
        "track": latest.track,
        "name": latest.name,
        "version": latest.version,
        "sha256": latest.sha256,
        "reason": reason,
        "deprecated_at": epoch(now),
    }


class SchemaStorage(Protocol):
    """Where subjects, versions, schemas, track configs and the outbox live."""

    def close(self) -> None:
        """Release connections; the storage is unusable afterwards."""

    def ping(self) -> None:
        """Round-trip to the backend; raises :class:`~mdp.registry.errors.StorageError` when down."""

    # -- tracks ------------------------------------------------------------------------------------
    def get_track(self, track: str) -> TrackConfig | None:
        """The track's config, or None if the track does not exist."""

    def list_tracks(self) -> list[TrackConfig]:
        """Every track, sorted by name."""

    def put_track(self, track: str, compatibility: Mode, policy: Policy, now: datetime) -> TrackConfig:
        """Create the track or change its config (its revision is kept)."""

    def revisions(self) -> dict[str, int]:
        """``{track: revision}`` for every track, in one cheap query (the read caches poll it)."""

    # -- reads -------------------------------------------------------------------------------------
    def track_index(self, track: str) -> tuple[int, list[SubjectView]]:
        """``(revision, subjects sorted by name)``. The revision is read first, so the listing is never
        older than the revision it is returned with. Raises TrackNotFound."""

    def get_latest(self, track: str, name: str) -> SubjectView | None:
        """The subject and its latest version, or None if the subject does not exist."""

    def list_versions(self, track: str, name: str, *, include_deleted: bool = False) -> list[Version]:
        """The subject's versions oldest first (empty if the subject does not exist)."""

    def get_version(self, track: str, name: str, version: str) -> Version | None:
        """One version by its semver string (None if absent or soft-deleted)."""

    def get_schema(self, schema_id: int) -> StoredSchema | None:
        """A schema by global id."""

    def get_schemas(self, schema_ids: Sequence[int]) -> dict[int, StoredSchema]:
        """Several schemas by global id (missing ids are left out)."""

    def get_schema_by_sha(self, sha256: str) -> StoredSchema | None:
        """A schema by the sha256 of its canonical form."""

    def events(self, after: int, limit: int) -> list[OutboxEvent]:
        """Outbox events with ``id > after``, oldest first, at most ``limit``."""

    # -- writes ------------------------------------------------------------------------------------
    def publish(self, new: NewVersion, now: datetime) -> tuple[SubjectView, OutboxEvent]:
        """Write the version (creating the subject, re-activating it if deprecated) and its
        ``schema.published`` event in one transaction. Raises TrackNotFound, ConcurrentModification
        (the latest version is not ``new.expected_previous`` any more) or InvalidVersion (the version
        string already exists)."""

    def deprecate(
        self, track: str, name: str, reason: str, now: datetime
    ) -> tuple[SubjectView, OutboxEvent | None]:
        """Mark the subject deprecated and write its ``schema.deprecated`` event in one transaction.
        Already deprecated: no change and no event (None). Raises TrackNotFound / SubjectNotFound."""


__all__ = [
    "DEFAULT_TRACKS",
    "DEPRECATED",
    "PUBLISHED",
    "EventType",
    "NewVersion",
    "OutboxEvent",
    "SchemaStorage",
    "StoredSchema",
    "Subject",
    "SubjectState",
    "SubjectView",
    "TrackConfig",
    "Version",
    "deprecated_payload",
    "epoch",
    "published_payload",
]
