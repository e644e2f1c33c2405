"""In-memory bar repository: a dict keyed by natural key plus a sorted (ts, timeframe) index per symbol.

Used by tests, the hypothesis model of the SQL adapters, and embedded single-process runs. Thread-safe
(one lock around every operation); nothing survives the process.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from datetime import datetime

from mdp.store.storage.base import BarPage, SymbolSummary, UpsertResult
from mdp.store.storage.rows import (
    DEFAULT_PAGE_LIMIT,
    BarKey,
    BarRow,
    check_range,
    check_row,
    check_symbol,
    check_timeframe,
    dedupe_last_wins,
    encode_cursor,
    micros_to_datetime,
    prepare_query,
)


def _as_stored(row: BarRow) -> BarRow:
    """The row as the SQL adapters read it back: prices and volume as floats (JSON may send ints)."""
    vwap = row[8]
    return BarRow(
        row[0],
        row[1],
        row[2],
        float(row[3]),
        float(row[4]),
        float(row[5]),
        float(row[6]),
        float(row[7]),
        None if vwap is None else float(vwap),
        row[9],
        row[10],
        row[11],
    )


class InMemoryBarRepository:
    """A :class:`~mdp.store.storage.base.BarRepository` held in process memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[BarKey, BarRow] = {}
        # Per symbol, the sorted (ts, timeframe) positions of its bars: the keyset order of query_bars.
        self._index: dict[str, list[tuple[int, str]]] = {}

    def migrate(self) -> None:
        """Nothing to create; present for the port."""

    def upsert_bars(self, rows: Sequence[BarRow]) -> UpsertResult:
        for row in rows:
            check_row(row)
        distinct = dedupe_last_wins(rows)
        inserted = corrected = 0
        with self._lock:
            for row in distinct:
                key = (row[0], row[1], row[2])
                previous = self._rows.get(key)
                if previous is None:
                    inserted += 1
                    insort(self._index.setdefault(row[0], []), (row[2], row[1]))
                elif previous[3:] != _as_stored(row)[3:]:
                    corrected += 1
                else:
                    continue
                self._rows[key] = _as_stored(row)
        return UpsertResult(inserted, corrected, len(distinct) - inserted - corrected)

    def query_bars(
        self,
        symbol: str,
        timeframe: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = DEFAULT_PAGE_LIMIT,
        cursor: str | None = None,
    ) -> BarPage:
        query = prepare_query(symbol, timeframe, start, end, limit, cursor)
        with self._lock:
            positions = self._index.get(query.symbol, [])
            first = 0
            if query.start_us is not None:
                first = bisect_left(positions, (query.start_us, ""))
            if query.after is not None:
                first = max(first, bisect_right(positions, query.after))
            found: list[BarRow] = []
            for ts, frame in positions[first:]:
                if query.end_us is not None and ts >= query.end_us:
                    break
                if query.timeframe is not None and frame != query.timeframe:
                    continue
                found.append(self._rows[(query.symbol, frame, ts)])
                if len(found) > query.limit:
                    break
        if len(found) <= query.limit:
            return BarPage(found, None)
        page = found[: query.limit]
        last = page[-1]
        return BarPage(page, encode_cursor(query.symbol, last.ts, last.timeframe))

    def symbols(self) -> list[SymbolSummary]:
        with self._lock:
            return [
                SymbolSummary(
                    symbol=symbol,
                    timeframes=tuple(sorted({frame for _, frame in positions})),
                    first_ts=micros_to_datetime(positions[0][0]),
                    last_ts=micros_to_datetime(positions[-1][0]),
                    bar_count=len(positions),
                )
                for symbol, positions in sorted(self._index.items())
                if positions
            ]

    def delete_bars(self, symbol: str, start: datetime, end: datetime, timeframe: str | None = None) -> int:
        checked_symbol = check_symbol(symbol)
        checked_timeframe = check_timeframe(timeframe)
        start_us, end_us = check_range(start, end)
        assert start_us is not None
        assert end_us is not None
        with self._lock:
            positions = self._index.get(checked_symbol, [])
            first = bisect_left(positions, (start_us, ""))
            last = bisect_left(positions, (end_us, ""))
            kept: list[tuple[int, str]] = []
            deleted = 0
            for ts, frame in positions[first:last]:
                if checked_timeframe is not None and frame != checked_timeframe:
                    kept.append((ts, frame))
                    continue
                del self._rows[(checked_symbol, frame, ts)]
                deleted += 1
            positions[first:last] = kept
            if not positions:
                self._index.pop(checked_symbol, None)
        return deleted

    def count(self) -> int:
        with self._lock:
            return len(self._rows)

    def ping(self) -> float:
        started = time.perf_counter()
        with self._lock:
            pass
        return time.perf_counter() - started

    def close(self) -> None:
        """Nothing to release; the data stays readable until the object is dropped."""


__all__ = ["InMemoryBarRepository"]
