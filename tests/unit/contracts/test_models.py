"""Contract models: market invariants the schema cannot express, and the telemetry payloads of the seeds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from mdp.contracts import (
    BackpressureLevel,
    Bar,
    BarV2,
    FeedbackEvent,
    HealthStatus,
    Quote,
    SchemaDrift,
    Trade,
    ValidationStats,
)

TS = datetime(2025, 10, 17, 14, 30, tzinfo=UTC)


def bar(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "symbol": "AAPL",
        "timeframe": "1m",
        "ts": TS,
        "open": 10.0,
        "high": 11.0,
        "low": 9.5,
        "close": 10.5,
        "volume": 1000,
    }
    return {**base, **overrides}


def test_valid_bar_round_trips_through_json() -> None:
    model = Bar(**bar(vwap=10.2, trade_count=12, source="sim"))
    again = Bar.model_validate_json(model.model_dump_json())
    assert again == model
    assert model.model_dump(mode="json")["ts"] == "2025-10-17T14:30:00Z"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"high": 10.2}, "high must be >= open, close and low"),
        ({"low": 10.4}, "low must be <= open and close"),
        ({"vwap": 12.0}, "vwap must lie within"),
        ({"trade_count": 0}, "trade_count > 0"),
        ({"open": 0}, "greater than 0"),
        ({"volume": -1}, "greater than or equal to 0"),
        ({"symbol": "aapl"}, "pattern"),
        ({"timeframe": "7m"}, "Input should be"),
        ({"ts": datetime(2025, 1, 1)}, "timezone"),
        ({"extra_field": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bar_invariants(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Bar(**bar(**overrides))


def test_v2_bar_requires_venue_and_source() -> None:
    with pytest.raises(ValidationError, match="venue"):
        BarV2(**bar(source="sim"))
    with pytest.raises(ValidationError, match="source"):
        BarV2(**bar(venue="XNAS"))
    assert BarV2(**bar(source="sim", venue="XNAS")).venue == "XNAS"


def test_crossed_quote_is_rejected_locked_allowed() -> None:
    common = {"symbol": "AAPL", "ts": TS, "bid_size": 1, "ask_size": 1}
    with pytest.raises(ValidationError, match="crossed"):
        Quote(**common, bid=10.1, ask=10.0)
    assert Quote(**common, bid=10.0, ask=10.0).bid == 10.0


def test_trade_size_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        Trade(symbol="AAPL", ts=TS, price=10.0, size=0)


def test_feedback_event_fields_and_capacity_rule() -> None:
    event = FeedbackEvent(
        coordinator_id="store-1",
        queue_size=80,
        capacity=100,
        level=BackpressureLevel.SOFT,
        utilization=0.8,
        source="mdp-store",
        ts=1697654400.0,
        reason="queue above soft",
    )
    assert event.model_dump()["level"] == "soft"
    with pytest.raises(ValidationError, match="queue_size must be <= capacity"):
        FeedbackEvent(
            coordinator_id="c", queue_size=101, capacity=100, level="hard", utilization=1, source="s", ts=1.0
        )


def test_health_status_matches_seed_shape() -> None:
    body = {
        "service": "market-data-store",
        "state": "healthy",
        "components": [{"name": "database", "state": "healthy"}, {"name": "prometheus", "state": "healthy"}],
        "version": "0.4.0",
        "ts": 1697654400.0,
    }
    assert HealthStatus.model_validate(body).model_dump(exclude_none=True) == body


def test_schema_drift_accepts_the_seed_payload_verbatim() -> None:
    seed_payload = {
        "repo": "market-data-store",
        "schema": "telemetry.FeedbackEvent",
        "track": "v1",
        "local_sha256": "abc123...",
        "local_version": "1.0.0",
        "registry_sha256": "def456...",
        "registry_version": "1.1.0",
        "detected_at": 1697654321.123,
    }
    drift = SchemaDrift.model_validate(seed_payload)
    dumped = drift.model_dump(by_alias=True)
    assert {key: dumped[key] for key in seed_payload} == seed_payload
    assert dumped["classification"] == "unknown"


def test_validation_stats_counts_are_consistent() -> None:
    with pytest.raises(ValidationError, match="failures and would_reject must be <= total"):
        ValidationStats(
            service="p",
            instance="i",
            schema="md.Bar",
            track="v1",
            mode="warn",
            window_start=0,
            window_end=1,
            total=1,
            failures=2,
            would_reject=0,
        )
