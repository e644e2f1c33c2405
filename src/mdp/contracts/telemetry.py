"""Telemetry contracts: feedback, health, drift and validation statistics (pure: no I/O).

Field sets follow the seed documents: ``FeedbackEvent`` answers seed 004's open questions (it carries
``ts``, ``source`` and ``utilization``), ``HealthStatus`` is seed 004's health DTO, and ``SchemaDrift`` is
seed 001's ``telemetry.schema_drift`` payload plus what mdp adds (classification and the changes).
Timestamps in telemetry are Unix epoch seconds as floats, as in the seeds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Canonical SHA-256 (hex).")]
EpochSeconds = Annotated[float, Field(ge=0, description="Unix time in seconds.")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
TrackName = Annotated[str, Field(pattern=r"^v[0-9]{1,3}$", description="Registry track, e.g. v1.")]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class BackpressureLevel(StrEnum):
    """Store write-queue pressure: producers slow down on soft and pause on hard."""

    OK = "ok"
    SOFT = "soft"
    HARD = "hard"


class FeedbackEvent(_Contract):
    """Backpressure signal a store coordinator publishes on ``telemetry.feedback``."""

    coordinator_id: Name
    queue_size: int = Field(ge=0)
    capacity: int = Field(gt=0)
    level: BackpressureLevel
    utilization: float = Field(ge=0, le=1, description="queue_size / capacity, clamped to [0, 1].")
    source: Name = Field(description="Service that emitted the event, e.g. mdp-store.")
    ts: EpochSeconds
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _queue_within_capacity(self) -> FeedbackEvent:
        if self.queue_size > self.capacity:
            raise ValueError("queue_size must be <= capacity")
        return self


HealthState = Literal["healthy", "degraded", "unhealthy"]


class HealthComponent(_Contract):
    """One dependency of a service and its measured state."""

    name: Name
    state: HealthState
    latency_ms: float | None = Field(default=None, ge=0, description="Measured probe latency.")
    detail: str | None = Field(default=None, max_length=1000)


class HealthStatus(_Contract):
    """Readiness report: the service's overall state is the worst of its components."""

    service: Name
    state: HealthState
    components: list[HealthComponent] = Field(default_factory=list)
    version: str = Field(min_length=1, max_length=64)
    ts: EpochSeconds


class DriftClassification(StrEnum):
    """Runbook label of a drift: what the on-call engineer needs to know first."""

    BREAKING = "breaking"
    SAFE = "safe"
    DOCS_ONLY = "docs-only"
    UNKNOWN = "unknown"


class DriftChange(_Contract):
    """One schema change behind a drift (a :class:`mdp.compat.Change`, flattened for the wire)."""

    kind: str = Field(min_length=1, max_length=100)
    path: str = Field(max_length=2000, description="JSON pointer into the schema, e.g. #/properties/x.")
    message: str = Field(max_length=2000)
    breaking: bool = False
    old: Any = None
    new: Any = None


class SchemaDrift(_Contract):
    """``telemetry.schema_drift``: a service's local copy differs from the registry's schema."""

    repo: Name
    schema_: Name = Field(alias="schema", serialization_alias="schema")
    track: TrackName
    local_sha256: str = Field(min_length=1, max_length=128)
    local_version: str | None = None
    registry_sha256: str | None = Field(default=None, max_length=128)
    registry_version: str | None = None
    detected_at: EpochSeconds
    status: Literal["drift", "missing_in_registry", "missing_locally"] = "drift"
    classification: DriftClassification = DriftClassification.UNKNOWN
    changes: list[DriftChange] = Field(default_factory=list, max_length=500)

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True, populate_by_name=True)


class SchemaDriftResolved(_Contract):
    """``telemetry.schema_drift_resolved``: a drifted schema is back in sync."""

    repo: Name
    schema_: Name = Field(alias="schema", serialization_alias="schema")
    track: TrackName
    sha256: str = Field(min_length=1, max_length=128)
    version: str | None = None
    drift_started_at: EpochSeconds | None = None
    resolved_at: EpochSeconds

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True, populate_by_name=True)


class ValidationStats(_Contract):
    """``telemetry.validation``: one pipeline's validation counts for one schema over a window.

    ``would_reject`` counts what strict mode would have dead-lettered, so warn-mode deployments can read
    seed 002's go/no-go thresholds directly.
    """

    service: Name
    instance: Name
    schema_: Name = Field(alias="schema", serialization_alias="schema")
    track: TrackName
    mode: Literal["warn", "strict", "off"]
    window_start: EpochSeconds
    window_end: EpochSeconds
    total: int = Field(ge=0)
    failures: int = Field(ge=0)
    would_reject: int = Field(ge=0)
    dlq_depth: int | None = Field(default=None, ge=0)

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True, populate_by_name=True)

    @model_validator(mode="after")
    def _counts(self) -> ValidationStats:
        if self.failures > self.total or self.would_reject > self.total:
            raise ValueError("failures and would_reject must be <= total")
        if self.window_end < self.window_start:
            raise ValueError("window_end must be >= window_start")
        return self


__all__ = [
    "BackpressureLevel",
    "DriftChange",
    "DriftClassification",
    "EpochSeconds",
    "FeedbackEvent",
    "HealthComponent",
    "HealthState",
    "HealthStatus",
    "SchemaDrift",
    "SchemaDriftResolved",
    "Sha256",
    "TrackName",
    "ValidationStats",
]
