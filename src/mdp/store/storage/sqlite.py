"""SQLite bar repository: one file (default ``<MDP_DATA_DIR>/store.db``), WAL mode, ``synchronous=NORMAL``.

Write path (``upsert_bars``), one ``BEGIN IMMEDIATE`` transaction per batch:

1. ``executemany(INSERT ... ON CONFLICT DO NOTHING)`` over the batch in its order (in-order keys keep
   SQLite's append-to-the-right-edge b-tree fast path). ``rowcount`` is the number of rows inserted.
2. If every row was inserted (the normal case: new bars, no duplicates) that is the whole job.
3. Otherwise the batch is de-duplicated (last wins). If step 1 inserted nothing (a redelivery) nothing
   needs undoing; if it inserted some rows it may have kept a superseded duplicate, so the transaction is
   rolled back and the de-duplicated batch inserted again. Then ``executemany(UPDATE ... WHERE <key> AND
   <any value differs>)`` runs over the de-duplicated batch; its ``rowcount`` is the number of
   corrections (rows this batch inserted already hold their final values and do not count).

Durability: with WAL and ``synchronous=NORMAL`` a committed batch survives a process crash; a power loss
can roll back the last few transactions (SQLite's documented trade-off), never corrupt the file.

Thread-safety: one writer and one reader connection, each behind its own lock, so reads (``GET /bars``)
proceed while a batch is being written (WAL readers never block the writer).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from mdp.store.errors import InvalidBar, StorageUnavailable, StoreError
from mdp.store.storage.base import BarPage, SymbolSummary, UpsertResult, summarise
from mdp.store.storage.rows import (
    DEFAULT_PAGE_LIMIT,
    BarRow,
    check_range,
    check_symbol,
    check_timeframe,
    dedupe_last_wins,
    encode_cursor,
    prepare_query,
)
from mdp.store.storage.schema import run_migrations

# SQL text is assembled only from this module's constants; every value is a bound parameter (S608 is off
# for this module in pyproject.toml).
_COLUMNS = "symbol, timeframe, ts, open, high, low, close, volume, vwap, trade_count, source, venue"
# ON CONFLICT DO NOTHING, not INSERT OR IGNORE: OR IGNORE also skips rows violating NOT NULL / STRICT
# typing, which would silently drop a broken bar; the upsert clause only absorbs key conflicts.
_INSERT = f"INSERT INTO bars ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
# Numbered parameters let the UPDATE bind the BarRow tuple as it is (?1..?12 in BarRow order).
_UPDATE_IF_DIFFERENT = """
UPDATE bars SET open = ?4, high = ?5, low = ?6, close = ?7, volume = ?8, vwap = ?9, trade_count = ?10,
       source = ?11, venue = ?12
WHERE symbol = ?1 AND timeframe = ?2 AND ts = ?3
  AND (open IS NOT ?4 OR high IS NOT ?5 OR low IS NOT ?6 OR close IS NOT ?7 OR volume IS NOT ?8
       OR vwap IS NOT ?9 OR trade_count IS NOT ?10 OR source IS NOT ?11 OR venue IS NOT ?12)
"""
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    # 64 MiB of page cache: a live feed inserts at one b-tree position per symbol, and a cache smaller than
    # those leaf pages turns every insert into a page read.
    "PRAGMA cache_size=-65536",
    # Checkpoint every ~16 MiB of WAL instead of 4 MiB: fewer fsyncs and each page copied back once.
    "PRAGMA wal_autocheckpoint=4000",
    "PRAGMA temp_store=MEMORY",
)


class SqliteBarRepository:
    """A :class:`~mdp.store.storage.base.BarRepository` in one SQLite file."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 5.0) -> None:
        self._path = Path(path)
        self._busy_timeout = busy_timeout
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._closed = False

    @property
    def path(self) -> Path:
        return self._path

    # -- connections ------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageUnavailable("the SQLite bar repository is closed")
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            for pragma in _PRAGMAS:
                connection.execute(pragma)
        except BaseException:
            connection.close()
            raise
        return connection

    def _writer_connection(self) -> sqlite3.Connection:
        if self._writer is None:
            self._writer = self._connect()
        return self._writer

    def _reader_connection(self) -> sqlite3.Connection:
        if self._reader is None:
            self._reader = self._connect()
        return self._reader

    @contextmanager
    def _translated(self, *, writing: bool) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except sqlite3.IntegrityError as exc:
            raise InvalidBar(f"a bar was rejected by the database: {exc}") from exc
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError, OverflowError, TypeError) as exc:
            if writing:
                raise InvalidBar(f"a bar row cannot be stored: {exc}") from exc
            raise StoreError(f"SQLite query failed: {exc}") from exc
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"SQLite database {self._path} is unavailable: {exc}") from exc
        except (sqlite3.Error, OSError) as exc:
            raise StorageUnavailable(f"SQLite database {self._path} failed: {exc}") from exc

    # -- port -------------------------------------------------------------------------------------------

    def migrate(self) -> None:
        if self._closed:
            raise StorageUnavailable("the SQLite bar repository is closed")
        with self._write_lock:
            with self._translated(writing=False):
                # Opening the writer first puts the file in WAL mode before alembic touches it.
                self._writer_connection()
            run_migrations(f"sqlite:///{self._path}")

    def upsert_bars(self, rows: Sequence[BarRow]) -> UpsertResult:
        if not rows:
            return UpsertResult(0, 0, 0)
        with self._write_lock, self._translated(writing=True):
            connection = self._writer_connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                inserted = connection.executemany(_INSERT, rows).rowcount
                if inserted == len(rows):
                    connection.execute("COMMIT")
                    return UpsertResult(inserted, 0, 0)
                distinct = dedupe_last_wins(rows)
                if inserted:
                    # Some keys were new and some were not (or repeated): the first pass may have kept a
                    # superseded occurrence, so write the de-duplicated batch from scratch.
                    connection.execute("ROLLBACK")
                    connection.execute("BEGIN IMMEDIATE")
                    inserted = connection.executemany(_INSERT, distinct).rowcount
                corrected = connection.executemany(_UPDATE_IF_DIFFERENT, distinct).rowcount
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
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
        sql = [f"SELECT {_COLUMNS} FROM bars WHERE symbol = ?"]
        params: list[Any] = [query.symbol]
        if query.timeframe is not None:
            sql.append("AND timeframe = ?")
            params.append(query.timeframe)
        if query.start_us is not None:
            sql.append("AND ts >= ?")
            params.append(query.start_us)
        if query.end_us is not None:
            sql.append("AND ts < ?")
            params.append(query.end_us)
        if query.after is not None:
            sql.append("AND (ts, timeframe) > (?, ?)")
            params.extend(query.after)
        sql.append("ORDER BY ts, timeframe LIMIT ?")
        params.append(query.limit + 1)
        with self._read_lock, self._translated(writing=False):
            fetched = self._reader_connection().execute(" ".join(sql), params).fetchall()
        make = tuple.__new__
        bars: list[BarRow] = [make(BarRow, row) for row in fetched[: query.limit]]
        if len(fetched) <= query.limit:
            return BarPage(bars, None)
        last = bars[-1]
        return BarPage(bars, encode_cursor(query.symbol, last.ts, last.timeframe))

    def symbols(self) -> list[SymbolSummary]:
        sql = (
            "SELECT symbol, timeframe, count(*), min(ts), max(ts) FROM bars"
            " GROUP BY symbol, timeframe ORDER BY symbol, timeframe"
        )
        with self._read_lock, self._translated(writing=False):
            groups = self._reader_connection().execute(sql).fetchall()
        return summarise(groups)

    def delete_bars(self, symbol: str, start: datetime, end: datetime, timeframe: str | None = None) -> int:
        checked_symbol = check_symbol(symbol)
        checked_timeframe = check_timeframe(timeframe)
        start_us, end_us = check_range(start, end)
        sql = "DELETE FROM bars WHERE symbol = ? AND ts >= ? AND ts < ?"
        params: list[Any] = [checked_symbol, start_us, end_us]
        if checked_timeframe is not None:
            sql += " AND timeframe = ?"
            params.append(checked_timeframe)
        with self._write_lock, self._translated(writing=False):
            connection = self._writer_connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                deleted = connection.execute(sql, params).rowcount
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
        return deleted

    def count(self) -> int:
        with self._read_lock, self._translated(writing=False):
            (total,) = self._reader_connection().execute("SELECT count(*) FROM bars").fetchone()
        return int(total)

    def ping(self) -> float:
        with self._read_lock, self._translated(writing=False):
            started = time.perf_counter()
            self._reader_connection().execute("SELECT 1").fetchone()
            return time.perf_counter() - started

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self._closed = True
            for connection in (self._writer, self._reader):
                if connection is not None:
                    connection.close()
            self._writer = self._reader = None


__all__ = ["SqliteBarRepository"]
