"""Fixtures for enforcement tests: real md.Bar payloads (checked by the contract model) and enforcers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from mdp.contracts import Bar
from mdp.enforcement import (
    BundledSchemaProvider,
    EnforcementMetrics,
    Enforcer,
    MemorySchemaProvider,
    enforcement_metrics,
)

MakeEnforcer = Callable[..., Enforcer]


def bar_payload(**overrides: Any) -> dict[str, Any]:
    """A valid md.Bar v1 payload as it travels on the wire (the contract model vouches for it)."""
    fields: dict[str, Any] = {
        "symbol": "AAPL",
        "timeframe": "1m",
        "ts": "2025-10-18T14:30:00Z",
        "open": 189.1,
        "high": 189.5,
        "low": 188.9,
        "close": 189.3,
        "volume": 12345.0,
        "vwap": 189.2,
        "trade_count": 321,
        "source": "iex",
    }
    Bar.model_validate(fields)
    fields.update(overrides)
    return fields


def bar_bytes(**overrides: Any) -> bytes:
    return orjson.dumps(bar_payload(**overrides))


@pytest.fixture
def make_enforcer(metrics_registry: CollectorRegistry) -> MakeEnforcer:
    """``make_enforcer(mode=..., enabled=..., schemas=...)`` with metrics on the test's registry."""

    shared: list[EnforcementMetrics] = []  # one set of metric families per registry

    def make(**options: Any) -> Enforcer:
        if not shared:
            shared.append(enforcement_metrics(metrics_registry))
        options.setdefault("schemas", BundledSchemaProvider())
        options.setdefault("metrics", shared[0])
        options.setdefault("started_at", 1000.0)
        options.setdefault("instance", "test-1")
        return Enforcer(**options)

    return make


@pytest.fixture
def memory_schemas() -> MemorySchemaProvider:
    return MemorySchemaProvider()
