"""Settings of the runtime drift watcher (read by :func:`mdp.drift.watcher.drift_worker`).

A service either subclasses :class:`DriftSettings` in its own settings class (``class StoreSettings(
DriftSettings, PulseSettings)``) or lets ``drift_worker`` load it from the environment beside its own.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from mdp.settings import MdpSettings

DEFAULT_DRIFT_CHECK_SECONDS = 300.0


class DriftSettings(MdpSettings):
    """``DRIFT_CHECK_SECONDS`` (the seeds' name) and mdp's ``MDP_DRIFT_*`` variables."""

    drift_check_seconds: float = Field(
        default=DEFAULT_DRIFT_CHECK_SECONDS,
        gt=0,
        le=86_400,
        validation_alias="DRIFT_CHECK_SECONDS",
        description="Seconds between two drift checks of the local schema copies (also checked at once on "
        "schema.published).",
    )
    drift_repo: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        validation_alias="MDP_DRIFT_REPO",
        description="The repo label of drift metrics and events. Unset: the service name (mdp-store...).",
    )
    drift_schema_dir: Path | None = Field(
        default=None,
        validation_alias="MDP_DRIFT_SCHEMA_DIR",
        description="Directory of <name>.json local schema copies. Unset: the contracts bundled with mdp "
        "for the service's track (the schemas it was built with).",
    )
    drift_heartbeat_seconds: float = Field(
        default=900.0,
        ge=0,
        le=86_400,
        validation_alias="MDP_DRIFT_HEARTBEAT_SECONDS",
        description="A persisting drift's event is re-published at most this often (0: only on changes).",
    )
    drift_enabled: bool = Field(
        default=True,
        validation_alias="MDP_DRIFT_ENABLED",
        description="false turns the runtime drift watcher off (REGISTRY_ENABLED=false does too).",
    )


__all__ = ["DEFAULT_DRIFT_CHECK_SECONDS", "DriftSettings"]
