"""Shared settings pieces; every service extends :class:`MdpSettings` with its own fields.

Environment names follow the seed documents where they give one (``REGISTRY_URL``, ``REGISTRY_TRACK``,
``REGISTRY_ENABLED``, ``REGISTRY_ENFORCEMENT``, ``REGISTRY_POLL_SECONDS``, ``PULSE_ENABLED``,
``EVENT_BUS_BACKEND``, ``ADMIN_TOKEN``, ``DRIFT_CHECK_SECONDS``); everything mdp adds is ``MDP_``-prefixed.

Settings are never built at import time: each service calls :func:`load_settings` in its ``main()`` or app
factory and passes the object down. A bad value is rejected with a :class:`~mdp.errors.ConfigurationError`
whose message names the environment variable, so start-up fails loudly and precisely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mdp.errors import ConfigurationError

EnforcementMode = Literal["warn", "strict", "off"]
BusBackend = Literal["inmem", "redis"]
LogFormat = Literal["json", "console"]

TRACK_PATTERN = r"^v[0-9]{1,3}$"


def _env(name: str, *aliases: str) -> Any:
    """Bind a field to an exact environment variable name (plus optional legacy aliases)."""
    return AliasChoices(name, *aliases) if aliases else name


class MdpSettings(BaseSettings):
    """Settings every mdp process understands."""

    model_config = SettingsConfigDict(
        env_prefix="",
        extra="ignore",
        populate_by_name=True,
        case_sensitive=False,
        validate_default=True,
    )

    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        validation_alias=_env("REGISTRY_URL"),
        description="Base URL of the schema registry.",
    )
    registry_track: str = Field(
        default="v1",
        pattern=TRACK_PATTERN,
        validation_alias=_env("REGISTRY_TRACK"),
        description="Track whose schemas this service validates against (v1 stable, v2 preview).",
    )
    registry_enabled: bool = Field(
        default=True,
        validation_alias=_env("REGISTRY_ENABLED"),
        description="false disables every registry call and all validation (rollback level 2).",
    )
    registry_enforcement: EnforcementMode = Field(
        default="warn",
        validation_alias=_env("REGISTRY_ENFORCEMENT"),
        description="warn counts and passes, strict dead-letters invalid messages, off skips validation.",
    )
    registry_poll_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        validation_alias=_env("REGISTRY_POLL_SECONDS"),
        description="How often the client polls the track index (one conditional request per poll).",
    )
    pulse_enabled: bool = Field(
        default=True,
        validation_alias=_env("PULSE_ENABLED"),
        description="false stops telemetry publishing (drift, feedback, schema events); data still flows.",
    )
    event_bus_backend: BusBackend = Field(
        default="inmem",
        validation_alias=_env("EVENT_BUS_BACKEND"),
        description="inmem (embedded, one process) or redis (Redis Streams).",
    )
    admin_token: SecretStr | None = Field(
        default=None,
        validation_alias=_env("ADMIN_TOKEN"),
        description="Bearer token for admin endpoints. Unset: the server generates one into MDP_DATA_DIR.",
    )
    data_dir: Path = Field(
        default=Path(".mdp"),
        validation_alias=_env("MDP_DATA_DIR"),
        description="Where SQLite files, the generated admin token and client snapshots live.",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=_env("MDP_DATABASE_URL"),
        description="SQLAlchemy URL (postgresql://...). Unset: SQLite files under MDP_DATA_DIR.",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=_env("MDP_REDIS_URL"),
        description="Redis URL used when EVENT_BUS_BACKEND=redis.",
    )
    log_level: str = Field(default="INFO", validation_alias=_env("MDP_LOG_LEVEL"))
    log_format: LogFormat = Field(default="json", validation_alias=_env("MDP_LOG_FORMAT"))

    @field_validator("registry_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    @property
    def validation_active(self) -> bool:
        """Whether messages are validated at all (REGISTRY_ENABLED and mode is not off)."""
        return self.registry_enabled and self.registry_enforcement != "off"


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def env_name(model: type[BaseSettings], field: str) -> str:
    """The environment variable that sets ``field`` on ``model``."""
    info = model.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        return first if isinstance(first, str) else field.upper()
    prefix = str(model.model_config.get("env_prefix", ""))
    return f"{prefix}{field}".upper()


def load_settings(model: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build ``model`` from the environment plus explicit overrides (CLI flags win).

    Raises :class:`ConfigurationError` naming every offending environment variable.
    """
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        return model(**clean)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = error.get("loc", ())
            field = str(location[0]) if location else "?"
            name = env_name(model, field) if field in model.model_fields else field
            problems.append(f"{name}: {error.get('msg', 'invalid value')}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from exc


__all__ = [
    "TRACK_PATTERN",
    "BusBackend",
    "EnforcementMode",
    "LogFormat",
    "MdpSettings",
    "env_name",
    "load_settings",
]
