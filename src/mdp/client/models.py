"""What the registry's REST API returns, as validated, immutable models (docs: REGISTRY_API.md).

Every response is untrusted input: names, tracks and sha256 values are checked against the registry's own
patterns (so a name can never be a path like ``../x`` by the time it reaches the on-disk snapshot), and
unknown extra fields are ignored so a newer registry does not break an older client.

``SchemaRecord.content`` is the JSON Schema itself (a dict or a boolean). Records are shared with the
cache: treat ``content`` as read-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from mdp.client.diff import SchemaChange

TRACK_RE = r"^v[0-9]{1,3}$"
NAME_RE = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$"
SHA256_RE = r"^[0-9a-f]{64}$"
VERSION_RE = r"^[0-9]+\.[0-9]+\.[0-9]+$"

Track = Annotated[str, Field(pattern=TRACK_RE)]
SchemaName = Annotated[str, Field(pattern=NAME_RE, max_length=200)]
Sha256 = Annotated[str, Field(pattern=SHA256_RE)]
Version = Annotated[str, Field(pattern=VERSION_RE)]
SchemaContent = dict[str, Any] | bool

# pydantic-core's JSON parser keeps integers beyond 64 bits exact (orjson would turn them into floats and
# change a schema's sha256), so every JSON document the client reads goes through it.
_ANY_JSON: TypeAdapter[Any] = TypeAdapter(Any)


def parse_json(data: bytes) -> Any:
    """Parse JSON bytes exactly (big integers stay integers); raises pydantic's ValidationError."""
    return _ANY_JSON.validate_json(data)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class IndexEntry(_Response):
    """One subject in a track index: enough to tell whether its content changed."""

    name: SchemaName
    version: Version
    sha256: Sha256
    schema_id: int = Field(ge=1)
    state: str
    updated_at: datetime


class TrackIndex(_Response):
    """``GET /schemas/{track}``: every subject of a track, sorted by name."""

    track: Track
    revision: int = Field(ge=0)
    schemas: tuple[IndexEntry, ...]


class SchemaRecord(_Response):
    """The latest (or a given) version of a subject, with its content.

    Records built from a poll carry only what the index says: ``deprecated_reason``, ``classification``
    and ``created_at`` are ``None`` until :meth:`RegistryClient.get_schema` fetches the full record.
    """

    track: Track
    name: SchemaName
    version: Version
    sha256: Sha256
    schema_id: int = Field(ge=1)
    state: str
    deprecated_reason: str | None = None
    classification: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    content: SchemaContent

    @classmethod
    def from_index(cls, track: str, entry: IndexEntry, content: SchemaContent) -> SchemaRecord:
        """A record from an (already validated) index entry and content verified against its sha256."""
        return cls.model_construct(
            track=track,
            name=entry.name,
            version=entry.version,
            sha256=entry.sha256,
            schema_id=entry.schema_id,
            state=entry.state,
            deprecated_reason=None,
            classification=None,
            created_at=None,
            updated_at=entry.updated_at,
            content=content,
        )

    def matches(self, entry: IndexEntry) -> bool:
        """Whether the index entry describes exactly this record (content and metadata)."""
        return (
            self.sha256 == entry.sha256
            and self.version == entry.version
            and self.schema_id == entry.schema_id
            and self.state == entry.state
            and self.updated_at == entry.updated_at
        )


class PublishedRecord(SchemaRecord):
    """A publish answer: the record plus the compatibility verdict (``None`` for a first version)."""

    compatibility: dict[str, Any] | None = None

    def record(self) -> SchemaRecord:
        return SchemaRecord.model_construct(
            **{field: getattr(self, field) for field in SchemaRecord.model_fields}
        )


class ContentRecord(_Response):
    """``GET /schemas/by-sha/{sha256}`` and ``GET /schemas/ids/{id}``: a canonical content and its ids."""

    schema_id: int = Field(ge=1)
    sha256: Sha256
    content: SchemaContent


class VersionInfo(_Response):
    """One entry of ``GET /schemas/{track}/{name}/versions``."""

    version: Version
    sha256: Sha256
    schema_id: int = Field(ge=1)
    classification: str | None = None
    forced: bool = False
    created_at: datetime | None = None


class VersionList(_Response):
    track: Track
    name: SchemaName
    versions: tuple[VersionInfo, ...]


class PublishResult(_Response):
    """The answer to a publish: ``created`` is False when the content equals the latest version."""

    created: bool
    record: SchemaRecord
    compatibility: dict[str, Any] | None = None


class TrackConfig(_Response):
    """``GET/PUT /config/{track}``."""

    track: Track
    compatibility: str
    policy: str


class RegistryEvent(_Response):
    """One outbox event (``schema.published`` / ``schema.deprecated``)."""

    id: int = Field(ge=1)
    type: str
    track: Track
    name: SchemaName
    created_at: datetime | None = None
    payload: dict[str, Any] = Field(default_factory=dict)


class EventPage(_Response):
    """``GET /events?after=ID&limit=N``; pass ``last_id`` as the next ``after``."""

    events: tuple[RegistryEvent, ...]
    last_id: int = Field(ge=0)


SyncStatus = Literal["changed", "unchanged", "not_modified"]


class SyncResult(_Response):
    """The outcome of syncing one track's index into the cache.

    ``not_modified``: the registry answered 304 (nothing was downloaded). ``unchanged``: a new index whose
    entries all match the cache. ``changed``: records were added, replaced, updated or removed; ``changes``
    lists those whose content (sha256) changed. ``complete`` is False when some content could not be
    fetched; the stale records stay cached and the next poll retries (the ETag is not advanced).
    """

    track: Track
    status: SyncStatus
    revision: int | None = None
    changes: tuple[SchemaChange, ...] = ()
    complete: bool = True


__all__ = [
    "NAME_RE",
    "SHA256_RE",
    "TRACK_RE",
    "ContentRecord",
    "EventPage",
    "IndexEntry",
    "PublishResult",
    "PublishedRecord",
    "RegistryEvent",
    "SchemaContent",
    "SchemaRecord",
    "SyncResult",
    "SyncStatus",
    "TrackConfig",
    "TrackIndex",
    "VersionInfo",
    "VersionList",
    "parse_json",
]
