"""Pulse settings: ``MdpSettings`` plus the bus's delivery, trimming and reconnect knobs.

Built by callers (``load_settings(PulseSettings)`` in a service's ``main()`` or app factory), never at
import. Services that need their own fields subclass :class:`PulseSettings`. The backend itself is chosen
by ``EVENT_BUS_BACKEND`` and Redis is found at ``MDP_REDIS_URL`` (both in ``MdpSettings``).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field

from mdp.settings import MdpSettings


class PulseSettings(MdpSettings):
    """Settings of every process that talks to the event bus."""

    pulse_max_deliveries: int = Field(
        default=5,
        ge=1,
        le=1000,
        validation_alias=AliasChoices("MDP_PULSE_MAX_DELIVERIES", "MAX_DELIVERIES"),
        description="Deliveries of one entry before it is moved to <stream>.dlq.",
    )
    pulse_claim_idle_ms: int = Field(
        default=30_000,
        ge=1,
        le=86_400_000,
        validation_alias="MDP_PULSE_CLAIM_IDLE_MS",
        description="An entry pending (unacked) this long is reclaimed and redelivered.",
    )
    pulse_maxlen: int = Field(
        default=1_000_000,
        ge=0,
        validation_alias="MDP_PULSE_MAXLEN",
        description="Approximate length streams are trimmed to on publish; 0 disables trimming.",
    )
    pulse_prefix: str = Field(
        default="",
        max_length=200,
        validation_alias="MDP_PULSE_PREFIX",
        description="Prefix of every Redis key (and in-memory stream name) the bus uses.",
    )
    pulse_reconnect_base_ms: int = Field(
        default=100,
        ge=1,
        le=60_000,
        validation_alias="MDP_PULSE_RECONNECT_BASE_MS",
        description="First reconnect delay; doubles per attempt, with jitter.",
    )
    pulse_reconnect_max_ms: int = Field(
        default=5_000,
        ge=1,
        le=600_000,
        validation_alias="MDP_PULSE_RECONNECT_MAX_MS",
        description="Longest reconnect delay.",
    )
    pulse_reconnect_attempts: int = Field(
        default=5,
        ge=0,
        le=1000,
        validation_alias="MDP_PULSE_RECONNECT_ATTEMPTS",
        description="Retries of one Redis call before BusUnavailable (subscriptions retry forever).",
    )


__all__ = ["PulseSettings"]
