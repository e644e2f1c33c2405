"""Builders of the telemetry contracts the orchestrator consumes (valid by construction)."""

from __future__ import annotations

from typing import Any

from mdp.contracts.telemetry import (
    DriftChange,
    FeedbackEvent,
    SchemaDrift,
    SchemaDriftResolved,
    ValidationStats,
)

LOCAL = "a" * 64
REGISTRY = "b" * 64
FEEDBACK_SCHEMA = "telemetry.FeedbackEvent"


def change(
    kind: str = "property-removed", path: str = "#/properties/reason", *, breaking: bool = True
) -> DriftChange:
    return DriftChange(kind=kind, path=path, message=f"{kind} at {path}", breaking=breaking)


def drift(
    at: float,
    *,
    repo: str = "market-data-store",
    schema: str = FEEDBACK_SCHEMA,
    track: str = "v1",
    classification: str = "breaking",
    changes: list[DriftChange] | None = None,
    local: str = LOCAL,
    registry: str | None = REGISTRY,
    **extra: Any,
) -> SchemaDrift:
    return SchemaDrift(
        repo=repo,
        schema=schema,
        track=track,
        local_sha256=local,
        local_version="1.0.0",
        registry_sha256=registry,
        registry_version="1.1.0",
        detected_at=at,
        classification=classification,
        changes=[change()] if changes is None else changes,
        **extra,
    )


def resolved(
    at: float,
    *,
    repo: str = "market-data-store",
    schema: str = FEEDBACK_SCHEMA,
    track: str = "v1",
    started: float | None = None,
    sha: str = REGISTRY,
) -> SchemaDriftResolved:
    return SchemaDriftResolved(
        repo=repo,
        schema=schema,
        track=track,
        sha256=sha,
        version="1.1.0",
        drift_started_at=started,
        resolved_at=at,
    )


def stats(
    end: float,
    *,
    total: int,
    failures: int = 0,
    would_reject: int = 0,
    mode: str = "warn",
    schema: str = "md.Bar",
    track: str = "v1",
    start: float | None = None,
    service: str = "pipeline",
    instance: str = "p-1",
    dlq_depth: int | None = None,
) -> ValidationStats:
    return ValidationStats(
        service=service,
        instance=instance,
        schema=schema,
        track=track,
        mode=mode,
        window_start=end - 60 if start is None else start,
        window_end=end,
        total=total,
        failures=failures,
        would_reject=would_reject,
        dlq_depth=dlq_depth,
    )


def feedback(at: float, *, coordinator: str = "store-1", level: str = "ok", queue: int = 10) -> FeedbackEvent:
    return FeedbackEvent(
        coordinator_id=coordinator,
        queue_size=queue,
        capacity=100,
        level=level,
        utilization=queue / 100,
        source="mdp-store",
        ts=at,
    )
