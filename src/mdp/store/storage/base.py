"""The bar storage port: what the store service needs from a database, and the values it returns.

Adapters: :mod:`.memory` (tests, embedded use), :mod:`.sqlite` (default, one file under MDP_DATA_DIR) and
:mod:`.postgres` (psycopg 3, binary COPY). Methods are synchronous; the service calls them through
``asyncio.to_thread``, so every adapter is safe to call from several threads.

Semantics every adapter shares (pinned by ``tests/suites/bar_repository.py``):

* Natural key (symbol, timeframe, ts). ``upsert_bars`` is idempotent: an identical bar is ``unchanged``,
  a different bar with an existing key replaces it and is ``corrected``, a new key is ``inserted``.
  Duplicates of one key inside a batch: the last occurrence wins; counts are per distinct key, so
  ``inserted + corrected + unchanged`` is the number of distinct keys in the batch. One batch is one
  transaction: on any error nothing of it is written.
* Reads are ordered by (ts, timeframe) and paged with an opaque keyset cursor. Time ranges are half-open:
  ``start`` inclusive, ``end`` exclusive (so consecutive windows never overlap nor leave gaps), and both
  must be timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol, runtime_checkable

from mdp.store.storage.rows import DEFAULT_PAGE_LIMIT, BarRow, bar_row_to_dict, micros_to_datetime


class UpsertResult(NamedTuple):
    """Per distinct key of a batch: new, replaced with different values, or already stored identically."""

    inserted: int
    corrected: int
    unchanged: int

    @property
    def total(self) -> int:
        """Distinct keys in the batch."""
        return self.inserted + self.corrected + self.unchanged


@dataclass(frozen=True, slots=True)
class BarPage:
    """One page of bars; ``next_cursor`` is None on the last page."""

    bars: list[BarRow]
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"bars": [bar_row_to_dict(row) for row in self.bars], "next_cursor": self.next_cursor}


@dataclass(frozen=True, slots=True)
class SymbolSummary:
    """What the store holds for one symbol."""

    symbol: str
    timeframes: tuple[str, ...]
    first_ts: datetime
    last_ts: datetime
    bar_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "timeframes": list(self.timeframes),
            "first_ts": self.first_ts.isoformat().replace("+00:00", "Z"),
            "last_ts": self.last_ts.isoformat().replace("+00:00", "Z"),
            "bar_count": self.bar_count,
        }


def summarise(groups: Iterable[tuple[str, str, int, int, int]]) -> list[SymbolSummary]:
    """Fold (symbol, timeframe, count, first_us, last_us) groups, sorted by symbol, into summaries."""
    summaries: list[SymbolSummary] = []
    current: list[tuple[str, str, int, int, int]] = []
    for group in groups:
        if current and current[0][0] != group[0]:
            summaries.append(_summary(current))
            current = []
        current.append(group)
    if current:
        summaries.append(_summary(current))
    return summaries


def _summary(groups: list[tuple[str, str, int, int, int]]) -> SymbolSummary:
    return SymbolSummary(
        symbol=groups[0][0],
        timeframes=tuple(sorted(group[1] for group in groups)),
        first_ts=micros_to_datetime(min(group[3] for group in groups)),
        last_ts=micros_to_datetime(max(group[4] for group in groups)),
        bar_count=sum(group[2] for group in groups),
    )


@runtime_checkable
class BarRepository(Protocol):
    """Persistence of bars. Raises only :class:`mdp.store.errors.StoreError` subclasses."""

    def migrate(self) -> None:
        """Create or upgrade the schema (``alembic upgrade head``); idempotent."""

    def upsert_bars(self, rows: Sequence[BarRow]) -> UpsertResult:
        """Write one batch in one transaction (see the module docstring for the counting rules)."""

    def query_bars(
        self,
        symbol: str,
        timeframe: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = DEFAULT_PAGE_LIMIT,
        cursor: str | None = None,
    ) -> BarPage:
        """Bars of ``symbol`` in [start, end), ordered by (ts, timeframe), at most ``limit`` per page."""

    def symbols(self) -> list[SymbolSummary]:
        """One summary per stored symbol, ordered by symbol (code point order)."""

    def delete_bars(self, symbol: str, start: datetime, end: datetime, timeframe: str | None = None) -> int:
        """Delete the bars of ``symbol`` in [start, end) (optionally one timeframe); returns the count."""

    def count(self) -> int:
        """Number of stored bars."""

    def ping(self) -> float:
        """Round-trip a trivial query; returns seconds. Raises ``StorageUnavailable`` when down."""

    def close(self) -> None:
        """Release connections; idempotent."""


__all__ = ["BarPage", "BarRepository", "SymbolSummary", "UpsertResult", "summarise"]
