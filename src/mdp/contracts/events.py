"""Registry change events: ``schema.published`` and ``schema.deprecated`` (pure: no I/O).

The registry writes them to its outbox in the same transaction as the change; the Pulse relay publishes
them exactly once per outbox entry, and ``GET /events?after=ID`` serves them to consumers without Pulse.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mdp.contracts.telemetry import EpochSeconds, Name, Sha256, TrackName

Classification = Literal["initial", "breaking", "safe", "docs-only"]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchemaPublished(_Contract):
    """A new version of a subject was published."""

    event_id: int = Field(ge=1, description="Outbox id; strictly increasing, the relay's cursor.")
    track: TrackName
    name: Name
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    sha256: Sha256
    schema_id: int = Field(ge=1, description="Global id of the canonical content (Confluent-style).")
    previous_version: str | None = None
    previous_sha256: Sha256 | None = None
    classification: Classification
    forced: bool = False
    published_at: EpochSeconds


class SchemaDeprecated(_Contract):
    """A subject was deprecated; producers should migrate before it is removed."""

    event_id: int = Field(ge=1)
    track: TrackName
    name: Name
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    sha256: Sha256
    reason: str = Field(min_length=1, max_length=1000)
    deprecated_at: EpochSeconds


__all__ = ["Classification", "SchemaDeprecated", "SchemaPublished"]
