"""Bar fixtures for the storage tests: payloads shaped like validated md.Bar JSON, and rows made from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mdp.store.storage.rows import BarRow, bar_row_from_payload

T0 = datetime(2025, 10, 17, 14, 30, tzinfo=UTC)


def payload(symbol: str = "AAPL", timeframe: str = "1m", minute: int = 0, **overrides: Any) -> dict[str, Any]:
    """A v1 md.Bar payload at ``T0 + minute`` (ts rendered with a ``Z``)."""
    ts = (T0 + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")
    body: dict[str, Any] = {
        "symbol": symbol,
        "timeframe": timeframe,
        "ts": ts,
        "open": 100.0 + minute,
        "high": 101.5 + minute,
        "low": 99.25 + minute,
        "close": 100.75 + minute,
        "volume": 1_000.0 + minute,
        "vwap": 100.5 + minute,
        "trade_count": 10 + minute,
        "source": "sim",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def bar(symbol: str = "AAPL", timeframe: str = "1m", minute: int = 0, **overrides: Any) -> BarRow:
    """A stored row made through the production conversion from :func:`payload`."""
    return bar_row_from_payload(payload(symbol, timeframe, minute, **overrides))


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)
