"""Settings of the orchestrator (``mdp orchestrator serve``, the orchestrator inside ``mdp up``, and the
``mdp enforcement readiness`` client).

Port 8090 sits next to the registry's 8081 and clear of the 8000/8080 every web framework defaults to.
The orchestrator talks to the event bus, so its settings extend :class:`~mdp.pulse.settings.PulseSettings`
(``EVENT_BUS_BACKEND``, ``MDP_REDIS_URL``, ``MDP_PULSE_*``) and thereby :class:`~mdp.settings.MdpSettings`
(``REGISTRY_URL``, ``REGISTRY_ENABLED``, ...).
"""

from __future__ import annotations

import re
import socket

from pydantic import Field, field_validator

from mdp.orchestrator.durations import parse_duration
from mdp.pulse.settings import PulseSettings
from mdp.pulse.streams import BARS_DLQ, GROUP_ORCHESTRATOR

DEFAULT_PORT = 8090
DAY = 86_400.0


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


class OrchestratorSettings(PulseSettings):
    """Everything the orchestrator reads from the environment (CLI flags override)."""

    orchestrator_host: str = Field(
        default="127.0.0.1",
        validation_alias="MDP_ORCHESTRATOR_HOST",
        description="Interface the orchestrator binds to (0.0.0.0 to listen on every interface).",
    )
    orchestrator_port: int = Field(
        default=DEFAULT_PORT,
        ge=1,
        le=65_535,
        validation_alias="MDP_ORCHESTRATOR_PORT",
        description="TCP port of the orchestrator (Schema Health page, /drift, /readiness, /metrics).",
    )
    orchestrator_url: str = Field(
        default=f"http://127.0.0.1:{DEFAULT_PORT}",
        validation_alias="MDP_ORCHESTRATOR_URL",
        description="Where clients (mdp enforcement readiness) find the orchestrator.",
    )
    orchestrator_group: str = Field(
        default=GROUP_ORCHESTRATOR,
        min_length=1,
        max_length=200,
        validation_alias="MDP_ORCHESTRATOR_GROUP",
        description="Pulse consumer group. Each orchestrator replica needs its own: members of one group "
        "split the events, and every replica must see all of them.",
    )
    orchestrator_consumer: str = Field(
        default_factory=socket.gethostname,
        min_length=1,
        max_length=200,
        validation_alias="MDP_ORCHESTRATOR_CONSUMER",
        description="Consumer name inside the group (default: the host name, stable across restarts).",
    )
    orchestrator_replay: bool = Field(
        default=True,
        validation_alias="MDP_ORCHESTRATOR_REPLAY",
        description="Rebuild state at start by reading the telemetry streams from their first entry.",
    )
    orchestrator_validation_retention_s: float = Field(
        default=8 * DAY,
        gt=0,
        le=90 * DAY,
        validation_alias="MDP_ORCHESTRATOR_VALIDATION_RETENTION_SECONDS",
        description="How long validation telemetry is kept; the longest readiness window accepted.",
    )
    orchestrator_resolved_retention_s: float = Field(
        default=7 * DAY,
        gt=0,
        le=365 * DAY,
        validation_alias="MDP_ORCHESTRATOR_RESOLVED_RETENTION_SECONDS",
        description="How long a resolved drift stays on the page and in /drift (active drift never expires).",
    )
    orchestrator_readiness_window: str = Field(
        default="72h",
        validation_alias="MDP_ORCHESTRATOR_READINESS_WINDOW",
        description="Default readiness window (seed 002: failure rate < 0.5 % for 72 hours).",
    )
    orchestrator_readiness_min_messages: int = Field(
        default=1000,
        ge=1,
        validation_alias="MDP_ORCHESTRATOR_READINESS_MIN_MESSAGES",
        description="Fewer validated messages than this in the window is NO-DATA, not GO.",
    )
    orchestrator_readiness_min_coverage: float = Field(
        default=0.95,
        ge=0,
        le=1,
        validation_alias="MDP_ORCHESTRATOR_READINESS_MIN_COVERAGE",
        description="Share of the window the telemetry history must span for a GO.",
    )
    orchestrator_rates_window: str = Field(
        default="1h",
        validation_alias="MDP_ORCHESTRATOR_RATES_WINDOW",
        description="Window of the current failure / would-reject rates shown on the page.",
    )
    orchestrator_page_refresh_s: float = Field(
        default=5.0,
        ge=0.2,
        le=3600,
        validation_alias="MDP_ORCHESTRATOR_PAGE_REFRESH_SECONDS",
        description="How often the Schema Health page polls /api/state.",
    )
    orchestrator_dlq_streams: str = Field(
        default=BARS_DLQ,
        validation_alias="MDP_ORCHESTRATOR_DLQ_STREAMS",
        description="Comma-separated dead-letter streams whose depth the page shows.",
    )
    orchestrator_registry_tracks: str = Field(
        default="v1,v2",
        validation_alias="MDP_ORCHESTRATOR_REGISTRY_TRACKS",
        description="Comma-separated registry tracks the orchestrator's own poller syncs (registry health).",
    )
    orchestrator_feedback_stale_s: float = Field(
        default=120.0,
        gt=0,
        validation_alias="MDP_ORCHESTRATOR_FEEDBACK_STALE_SECONDS",
        description="A coordinator silent for longer is shown as stale (and forgotten after a day).",
    )

    @field_validator("orchestrator_readiness_window", "orchestrator_rates_window")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # raises ValueError with a readable message
        return value

    @field_validator("orchestrator_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("orchestrator_registry_tracks")
    @classmethod
    def _tracks(cls, value: str) -> str:
        tracks = _split(value)
        bad = [track for track in tracks if not re.fullmatch(r"v[0-9]{1,3}", track)]
        if bad or not tracks:
            raise ValueError(f"expected tracks like v1,v2; got {value!r}")
        return value

    @property
    def dlq_streams(self) -> tuple[str, ...]:
        return _split(self.orchestrator_dlq_streams)

    @property
    def registry_tracks(self) -> tuple[str, ...]:
        return _split(self.orchestrator_registry_tracks)

    @property
    def readiness_window_s(self) -> float:
        return parse_duration(self.orchestrator_readiness_window)

    @property
    def rates_window_s(self) -> float:
        return parse_duration(self.orchestrator_rates_window)


__all__ = ["DEFAULT_PORT", "OrchestratorSettings"]
