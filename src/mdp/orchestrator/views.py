"""JSON views of the orchestrator's state for ``/drift``, ``/api/state`` (the page) and ``/health``.

The runtime bits that are not pure state (registry client, DLQ depths read from the bus, consumer phase)
are gathered by :class:`Runtime` so every view reads one consistent picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mdp import __version__
from mdp.client import ClientError, RegistryClient, RegistryPoller
from mdp.contracts.telemetry import HealthComponent, HealthState, HealthStatus
from mdp.orchestrator.aggregator import sort_for_display
from mdp.orchestrator.consumer import TelemetryConsumer
from mdp.orchestrator.readiness import ReadinessReport
from mdp.orchestrator.settings import OrchestratorSettings
from mdp.orchestrator.state import OrchestratorState

SERVICE_NAME = "mdp-orchestrator"
_HEALTH_RANK: dict[HealthState, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


@dataclass
class DlqDepth:
    stream: str
    depth: int | None = None
    at: float | None = None
    error: str | None = None


@dataclass
class Runtime:
    """What the app wires together; views read it, workers update it."""

    settings: OrchestratorSettings
    state: OrchestratorState
    consumer: TelemetryConsumer
    client: RegistryClient
    poller: RegistryPoller
    started_at: float
    dlq: dict[str, DlqDepth] = field(default_factory=dict)

    # -- registry --------------------------------------------------------------------------------------
    def registry_up(self) -> bool | None:
        """``None`` until the first poll finished (or when disabled), then the client's verdict."""
        if not self.client.enabled or not self.poller.last_results:
            return None
        return self.client.up

    def registry(self, now: float) -> dict[str, Any]:
        tracks = []
        for track in self.poller.tracks:
            synced = self.client.last_sync(track)
            result = self.poller.last_results.get(track)
            tracks.append(
                {
                    "track": track,
                    "last_sync": synced,
                    "age_s": max(0.0, now - synced) if synced is not None else None,
                    "error": str(result) if isinstance(result, ClientError) else None,
                }
            )
        return {
            "enabled": self.client.enabled,
            "url": self.client.base_url,
            "up": self.registry_up(),
            "tracks": tracks,
        }

    # -- readiness -------------------------------------------------------------------------------------
    def readiness(
        self, now: float, *, window_s: float | None = None, min_messages: int | None = None
    ) -> ReadinessReport:
        settings = self.settings
        return self.state.readiness(
            now=now,
            window_s=window_s if window_s is not None else settings.readiness_window_s,
            min_messages=min_messages or settings.orchestrator_readiness_min_messages,
            min_coverage=settings.orchestrator_readiness_min_coverage,
            registry_enabled=self.client.enabled,
            registry_up=self.registry_up(),
        )

    # -- views -----------------------------------------------------------------------------------------
    def drift(
        self,
        now: float,
        *,
        active: bool | None = None,
        repo: str | None = None,
        track: str | None = None,
        schema: str | None = None,
    ) -> dict[str, Any]:
        states = [
            state
            for state in sort_for_display(self.state.drift.states())
            if (active is None or state.active == active)
            and (repo is None or state.key.repo == repo)
            and (track is None or state.key.track == track)
            and (schema is None or state.key.schema == schema)
        ]
        return {
            "generated_at": now,
            "active": sum(1 for state in states if state.active),
            "resolved": sum(1 for state in states if not state.active),
            "drifts": [state.to_dict(now) for state in states],
        }

    def page_state(self, now: float) -> dict[str, Any]:
        """Everything the Schema Health page shows, in one document."""
        settings = self.settings
        rates = self.state.ledger.summaries(now=now, window_s=settings.rates_window_s)
        stale = settings.orchestrator_feedback_stale_s
        return {
            "generated_at": now,
            "service": {
                "name": SERVICE_NAME,
                "version": __version__,
                "started_at": self.started_at,
                "phase": self.consumer.phase,
                "last_error": self.consumer.last_error,
                "replayed": dict(self.consumer.replayed),
            },
            "drift": self.drift(now),
            "registry": self.registry(now),
            "validation": {
                "window_s": settings.rates_window_s,
                "schemas": [summary.to_dict() for summary in rates],
            },
            "dlq": {
                "streams": [vars(depth) for depth in self.dlq.values()],
                "reported": [
                    {
                        "service": item.service,
                        "instance": item.instance,
                        "depth": item.dlq_depth,
                        "at": item.dlq_at,
                        "last_seen": item.last_seen,
                    }
                    for item in self.state.ledger.instances()
                ],
            },
            "backpressure": [
                status.to_dict() for status in self.state.feedback.statuses(now=now, stale_after_s=stale)
            ],
            "readiness": self.readiness(now).to_dict(),
        }

    def health(self, now: float) -> tuple[HealthStatus, int]:
        consumer = self.consumer
        if consumer.healthy:
            bus = HealthComponent(name="event-bus", state="healthy", detail=f"{consumer.phase}")
        elif consumer.phase in ("starting", "replaying"):
            bus = HealthComponent(name="event-bus", state="degraded", detail=f"{consumer.phase} telemetry")
        else:
            detail = (consumer.last_error or f"consumer {consumer.phase}")[:1000]
            bus = HealthComponent(name="event-bus", state="unhealthy", detail=detail)
        up = self.registry_up()
        if not self.client.enabled:
            registry = HealthComponent(
                name="registry", state="healthy", detail="disabled (REGISTRY_ENABLED=false)"
            )
        elif up is None:
            registry = HealthComponent(name="registry", state="degraded", detail="not checked yet")
        elif up:
            registry = HealthComponent(name="registry", state="healthy", detail=self.client.base_url)
        else:
            registry = HealthComponent(
                name="registry", state="degraded", detail=f"unreachable: {self.client.base_url}"
            )
        components = [bus, registry]
        overall = max((c.state for c in components), key=_HEALTH_RANK.__getitem__)
        status = HealthStatus(
            service=SERVICE_NAME, state=overall, components=components, version=__version__, ts=now
        )
        return status, 503 if overall == "unhealthy" else 200


__all__ = ["SERVICE_NAME", "DlqDepth", "Runtime"]
