"""Market-data contracts: ``md.Bar``, ``md.Quote`` and ``md.Trade`` (pure: no I/O).

JSON Schema cannot relate one field to another (high >= max(open, close) and friends), so those
invariants live here in the models as well as, where JSON Schema can say it, in the exported schemas.
All three models are closed (``additionalProperties: false``): an unknown field is a contract violation,
which is what lets strict enforcement notice a producer that drifted from the registry.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SYMBOL_PATTERN = r"^[A-Z0-9][A-Z0-9._:/-]{0,31}$"
MIC_PATTERN = r"^[A-Z0-9]{4}$"

Symbol = Annotated[
    str,
    Field(
        pattern=SYMBOL_PATTERN,
        description="Instrument symbol, upper case, 1-32 characters (e.g. AAPL, BRK.B, EUR/USD, ESZ5).",
        examples=["AAPL"],
    ),
]
Price = Annotated[float, Field(gt=0, description="Price in the instrument's quote currency.")]
Source = Annotated[
    str,
    Field(min_length=1, max_length=64, description="Producer of the record (feed or vendor name)."),
]


class Timeframe(StrEnum):
    """Bar interval."""

    S1 = "1s"
    S5 = "5s"
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"


class TradeSide(StrEnum):
    """Aggressor side of a trade when the venue reports it."""

    BUY = "buy"
    SELL = "sell"
    UNKNOWN = "unknown"


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class Bar(_Contract):
    """One OHLCV bar. Identity (the store's natural key) is (symbol, timeframe, ts)."""

    symbol: Symbol
    timeframe: Timeframe = Field(description="Bar interval.")
    ts: AwareDatetime = Field(description="Bar open time, RFC 3339 with offset (UTC recommended).")
    open: Price
    high: Price
    low: Price
    close: Price
    volume: float = Field(ge=0, description="Traded volume in the bar, in shares or contracts.")
    vwap: Price | None = Field(default=None, description="Volume-weighted average price, if known.")
    trade_count: int | None = Field(default=None, ge=0, description="Number of trades in the bar.")
    source: Source | None = None

    @model_validator(mode="after")
    def _ohlc_consistent(self) -> Bar:
        if self.high < max(self.open, self.close, self.low):
            raise ValueError("high must be >= open, close and low")
        if self.low > min(self.open, self.close):
            raise ValueError("low must be <= open and close")
        if self.vwap is not None and not self.low <= self.vwap <= self.high:
            raise ValueError("vwap must lie within [low, high]")
        if self.trade_count == 0 and self.volume > 0:
            raise ValueError("a bar with volume must have trade_count > 0")
        return self


class BarV2(Bar):
    """Track v2 preview of ``md.Bar``: ``venue`` (ISO 10383 MIC) and ``source`` are required.

    The preview exists to rehearse a breaking change: consumers that persist bars per venue need it, and a
    v1 producer that omits it is rejected by v2 in strict mode.
    """

    venue: str = Field(pattern=MIC_PATTERN, description="ISO 10383 market identifier code, e.g. XNAS.")
    source: Source


class Quote(_Contract):
    """Top-of-book quote. A crossed book (bid > ask) is rejected; a locked one (bid == ask) is allowed."""

    symbol: Symbol
    ts: AwareDatetime
    bid: Price
    ask: Price
    bid_size: float = Field(ge=0)
    ask_size: float = Field(ge=0)
    venue: str | None = Field(default=None, pattern=MIC_PATTERN)
    source: Source | None = None

    @model_validator(mode="after")
    def _not_crossed(self) -> Quote:
        if self.bid > self.ask:
            raise ValueError("bid must be <= ask (crossed quote)")
        return self


class Trade(_Contract):
    """One print."""

    symbol: Symbol
    ts: AwareDatetime
    price: Price
    size: float = Field(gt=0)
    trade_id: str | None = Field(default=None, min_length=1, max_length=64)
    side: TradeSide | None = None
    venue: str | None = Field(default=None, pattern=MIC_PATTERN)
    conditions: list[Annotated[str, Field(min_length=1, max_length=8)]] | None = Field(
        default=None, max_length=16, description="Venue sale-condition codes."
    )
    source: Source | None = None


__all__ = [
    "MIC_PATTERN",
    "SYMBOL_PATTERN",
    "Bar",
    "BarV2",
    "Quote",
    "Timeframe",
    "Trade",
    "TradeSide",
]
