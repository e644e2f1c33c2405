"""Contracts: the platform's message models, their bundled JSON Schemas and canonical hashing.

Pure: nothing here does network, database or clock I/O (import-linter enforces it). Bundled schema files
are read through ``importlib.resources``.
"""

from mdp.contracts.catalog import CONTRACTS, DEFAULT_TRACK, EVENT_SCHEMAS, TRACKS, contract_names
from mdp.contracts.errors import CanonicalizationError, ContractError, UnknownContractError
from mdp.contracts.events import SchemaDeprecated, SchemaPublished
from mdp.contracts.hashing import canonicalize, compute_sha256, parse_json
from mdp.contracts.market import Bar, BarV2, Quote, Timeframe, Trade, TradeSide
from mdp.contracts.telemetry import (
    BackpressureLevel,
    DriftChange,
    DriftClassification,
    FeedbackEvent,
    HealthComponent,
    HealthStatus,
    SchemaDrift,
    SchemaDriftResolved,
    ValidationStats,
)

__all__ = [
    "CONTRACTS",
    "DEFAULT_TRACK",
    "EVENT_SCHEMAS",
    "TRACKS",
    "BackpressureLevel",
    "Bar",
    "BarV2",
    "CanonicalizationError",
    "ContractError",
    "DriftChange",
    "DriftClassification",
    "FeedbackEvent",
    "HealthComponent",
    "HealthStatus",
    "Quote",
    "SchemaDeprecated",
    "SchemaDrift",
    "SchemaDriftResolved",
    "SchemaPublished",
    "Timeframe",
    "Trade",
    "TradeSide",
    "UnknownContractError",
    "ValidationStats",
    "canonicalize",
    "compute_sha256",
    "contract_names",
    "parse_json",
]
