"""Which contract models make up each track, and which Pulse event type carries which schema (pure).

Track v1 is stable. Track v2 is a preview: it differs from v1 where a real migration is being rehearsed
(``md.Bar`` requires ``venue`` and ``source``). Every other contract is shared by both tracks.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pydantic import BaseModel

from mdp.contracts.events import SchemaDeprecated, SchemaPublished
from mdp.contracts.market import Bar, BarV2, Quote, Trade
from mdp.contracts.telemetry import (
    FeedbackEvent,
    HealthStatus,
    SchemaDrift,
    SchemaDriftResolved,
    ValidationStats,
)

TRACKS: tuple[str, ...] = ("v1", "v2")
DEFAULT_TRACK = "v1"

_SHARED: dict[str, type[BaseModel]] = {
    "md.Bar": Bar,
    "md.Quote": Quote,
    "md.Trade": Trade,
    "telemetry.FeedbackEvent": FeedbackEvent,
    "telemetry.HealthStatus": HealthStatus,
    "telemetry.SchemaDrift": SchemaDrift,
    "telemetry.SchemaDriftResolved": SchemaDriftResolved,
    "telemetry.ValidationStats": ValidationStats,
    "schema.SchemaPublished": SchemaPublished,
    "schema.SchemaDeprecated": SchemaDeprecated,
}

CONTRACTS: Mapping[str, Mapping[str, type[BaseModel]]] = MappingProxyType(
    {
        "v1": MappingProxyType(dict(_SHARED)),
        "v2": MappingProxyType({**_SHARED, "md.Bar": BarV2}),
    }
)

# Pulse event type -> schema name of its payload.
EVENT_SCHEMAS: Mapping[str, str] = MappingProxyType(
    {
        "md.bar": "md.Bar",
        "md.quote": "md.Quote",
        "md.trade": "md.Trade",
        "telemetry.feedback": "telemetry.FeedbackEvent",
        "telemetry.health": "telemetry.HealthStatus",
        "telemetry.schema_drift": "telemetry.SchemaDrift",
        "telemetry.schema_drift_resolved": "telemetry.SchemaDriftResolved",
        "telemetry.validation": "telemetry.ValidationStats",
        "schema.published": "schema.SchemaPublished",
        "schema.deprecated": "schema.SchemaDeprecated",
    }
)


def contract_names(track: str = DEFAULT_TRACK) -> list[str]:
    """Sorted schema names bundled for ``track``."""
    return sorted(CONTRACTS[track])


__all__ = ["CONTRACTS", "DEFAULT_TRACK", "EVENT_SCHEMAS", "TRACKS", "contract_names"]
