"""The native API's JSON bodies: pydantic models (for validation and the OpenAPI document) and the fast
encoders the routes actually use.

Read routes serialise with orjson straight from the storage types and embed each schema's stored
canonical bytes with ``orjson.Fragment`` (no re-parsing); the models below describe exactly those bodies
so ``/openapi.json`` is truthful (schemathesis checks it). Timestamps are RFC 3339 UTC with microseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from mdp.compat.model import Change, CompatibilityResult, Mode, Policy
from mdp.registry.service import SchemaRecord
from mdp.registry.storage.base import OutboxEvent, StoredSchema, SubjectView, TrackConfig, Version

SchemaContent = dict[str, Any] | bool
_SHA = r"^[0-9a-f]{64}$"
_SEMVER = r"^[0-9]+\.[0-9]+\.[0-9]+$"


def timestamp(moment: datetime) -> str:
    """``2026-11-25T17:30:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IndexEntryOut(_Out):
    name: str
    version: str = Field(pattern=_SEMVER)
    sha256: str = Field(pattern=_SHA)
    schema_id: int = Field(ge=1)
    state: Literal["active", "deprecated"]
    updated_at: datetime


class TrackIndexOut(_Out):
    track: str
    revision: int = Field(ge=0, description="Id of the newest outbox event touching the track (0 if none).")
    schemas: list[IndexEntryOut]


class SchemaRecordOut(_Out):
    track: str
    name: str
    version: str = Field(pattern=_SEMVER)
    sha256: str = Field(pattern=_SHA)
    schema_id: int = Field(ge=1)
    state: Literal["active", "deprecated"]
    deprecated_reason: str | None
    classification: Literal["initial", "breaking", "safe", "docs-only"]
    created_at: datetime
    updated_at: datetime
    content: SchemaContent


class ChangeOut(_Out):
    kind: str
    path: str
    message: str
    old: Any = None
    new: Any = None


class CompatibilityOut(_Out):
    mode: Mode
    policy: Policy
    compatible: bool
    label: Literal["breaking", "safe", "docs-only"]
    changes: list[ChangeOut]
    breaking: list[ChangeOut]


class PublishedOut(SchemaRecordOut):
    compatibility: CompatibilityOut | None = Field(
        default=None, description="The compatibility verdict (null for a subject's first version)."
    )


class VersionEntryOut(_Out):
    version: str = Field(pattern=_SEMVER)
    sha256: str = Field(pattern=_SHA)
    schema_id: int = Field(ge=1)
    classification: Literal["initial", "breaking", "safe", "docs-only"]
    forced: bool
    created_at: datetime


class VersionsOut(_Out):
    track: str
    name: str
    versions: list[VersionEntryOut]


class SchemaContentOut(_Out):
    schema_id: int = Field(ge=1)
    sha256: str = Field(pattern=_SHA)
    content: SchemaContent


class ConfigOut(_Out):
    track: str
    compatibility: Mode
    policy: Policy


class EventOut(_Out):
    id: int = Field(ge=1)
    type: Literal["schema.published", "schema.deprecated"]
    track: str
    name: str
    created_at: datetime
    payload: dict[str, Any]


class EventsOut(_Out):
    events: list[EventOut]
    last_id: int = Field(ge=0)


class ErrorOut(BaseModel):
    """The error envelope of every mdp API."""

    model_config = ConfigDict(extra="allow")
    error_code: int
    message: str


class IncompatibleOut(ErrorOut):
    mode: Mode
    policy: Policy
    breaking: list[ChangeOut]


# -- request bodies ------------------------------------------------------------------------------------
class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublishIn(_In):
    content: Any = Field(description="The JSON Schema: an object or a boolean.")
    version: str | None = Field(default=None, max_length=40, description="Requested version (x.y.z).")
    force: bool = Field(default=False, description="Publish even if incompatible (recorded as forced).")


class DeprecateIn(_In):
    reason: str = Field(min_length=1, max_length=1000)


class ConfigIn(_In):
    compatibility: str = Field(
        max_length=40, json_schema_extra={"examples": [mode.value for mode in Mode]}, description="Mode."
    )
    policy: str | None = Field(
        default=None, max_length=20, description="STRICT or LENIENT (unchanged, or LENIENT, when absent)."
    )


# -- encoders (what the routes send) -----------------------------------------------------------------
def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def index_body(track: str, revision: int, views: list[SubjectView]) -> bytes:
    return dumps(
        {
            "track": track,
            "revision": revision,
            "schemas": [
                {
                    "name": view.subject.name,
                    "version": view.latest.version,
                    "sha256": view.latest.sha256,
                    "schema_id": view.latest.schema_id,
                    "state": view.subject.state,
                    "updated_at": timestamp(view.subject.updated_at),
                }
                for view in views
            ],
        }
    )


def record_dict(record: SchemaRecord) -> dict[str, Any]:
    subject, version = record.subject, record.version
    return {
        "track": subject.track,
        "name": subject.name,
        "version": version.version,
        "sha256": version.sha256,
        "schema_id": version.schema_id,
        "state": subject.state,
        "deprecated_reason": subject.deprecated_reason,
        "classification": version.classification,
        "created_at": timestamp(version.created_at),
        "updated_at": timestamp(subject.updated_at),
        "content": orjson.Fragment(record.schema.canonical),
    }


def change_dict(change: Change) -> dict[str, Any]:
    return change.to_dict()


def compatibility_dict(result: CompatibilityResult | None) -> dict[str, Any] | None:
    return None if result is None else result.to_dict()


def versions_body(track: str, name: str, versions: list[Version]) -> bytes:
    return dumps(
        {
            "track": track,
            "name": name,
            "versions": [
                {
                    "version": version.version,
                    "sha256": version.sha256,
                    "schema_id": version.schema_id,
                    "classification": version.classification,
                    "forced": version.forced,
                    "created_at": timestamp(version.created_at),
                }
                for version in versions
            ],
        }
    )


def schema_body(schema: StoredSchema) -> bytes:
    return dumps(
        {"schema_id": schema.schema_id, "sha256": schema.sha256, "content": orjson.Fragment(schema.canonical)}
    )


def config_dict(config: TrackConfig) -> dict[str, Any]:
    return {"track": config.track, "compatibility": config.compatibility.value, "policy": config.policy.value}


def event_dict(event: OutboxEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "track": event.track,
        "name": event.name,
        "created_at": timestamp(event.created_at),
        "payload": event.payload,
    }


__all__ = [
    "ChangeOut",
    "CompatibilityOut",
    "ConfigIn",
    "ConfigOut",
    "DeprecateIn",
    "ErrorOut",
    "EventOut",
    "EventsOut",
    "IncompatibleOut",
    "IndexEntryOut",
    "PublishIn",
    "PublishedOut",
    "SchemaContentOut",
    "SchemaRecordOut",
    "TrackIndexOut",
    "VersionEntryOut",
    "VersionsOut",
    "change_dict",
    "compatibility_dict",
    "config_dict",
    "dumps",
    "event_dict",
    "index_body",
    "record_dict",
    "schema_body",
    "timestamp",
    "versions_body",
]
