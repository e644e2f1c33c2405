"""Settings of the registry service (``mdp registry serve`` and the registry inside ``mdp up``).

Port 8081 is Confluent Schema Registry's default: operators and tools (``kafka-*`` CLIs, Confluent
serializers) expect a schema registry there, and it stays clear of the 8000/8080 every web framework
defaults to. ``REGISTRY_URL`` (shared, in :class:`~mdp.settings.MdpSettings`) defaults to the same port.
"""

from __future__ import annotations

from pydantic import Field

from mdp.settings import MdpSettings

DEFAULT_PORT = 8081
DEFAULT_MAX_SCHEMA_BYTES = 256 * 1024
DEFAULT_MAX_SCHEMA_DEPTH = 64


class RegistrySettings(MdpSettings):
    """Everything ``mdp registry serve`` reads from the environment (CLI flags override)."""

    registry_host: str = Field(
        default="127.0.0.1",
        validation_alias="MDP_REGISTRY_HOST",
        description="Interface the registry binds to (0.0.0.0 to listen on every interface).",
    )
    registry_port: int = Field(
        default=DEFAULT_PORT,
        ge=0,
        le=65_535,
        validation_alias="MDP_REGISTRY_PORT",
        description="TCP port of the registry (8081, Confluent Schema Registry's default).",
    )
    registry_max_schema_bytes: int = Field(
        default=DEFAULT_MAX_SCHEMA_BYTES,
        ge=1024,
        le=64 * 1024 * 1024,
        validation_alias="MDP_REGISTRY_MAX_SCHEMA_BYTES",
        description="Largest accepted request body on the write endpoints (bytes); larger answers 413.",
    )
    registry_max_schema_depth: int = Field(
        default=DEFAULT_MAX_SCHEMA_DEPTH,
        ge=4,
        le=512,
        validation_alias="MDP_REGISTRY_MAX_SCHEMA_DEPTH",
        description="Deepest accepted JSON nesting of a request body; deeper answers 413.",
    )
    registry_cache_ttl_ms: int = Field(
        default=500,
        ge=0,
        le=60_000,
        validation_alias="MDP_REGISTRY_CACHE_TTL_MS",
        description="How long a replica serves reads from memory before re-checking the track revisions "
        "in the database: the bound on how stale another replica's writes can look. 0 checks every read.",
    )


__all__ = ["DEFAULT_MAX_SCHEMA_BYTES", "DEFAULT_MAX_SCHEMA_DEPTH", "DEFAULT_PORT", "RegistrySettings"]
