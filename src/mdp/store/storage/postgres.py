"""PostgreSQL bar repository on psycopg 3 (the ``postgres`` extra), bulk writes through binary COPY.

Write path (``upsert_bars``):

1. ``COPY bars_stage FROM STDIN (FORMAT BINARY)`` the batch into a session-local temp table created once
   per connection with ``ON COMMIT DELETE ROWS`` (no per-batch DDL). ``ts`` travels as ``int8``
   microseconds and becomes ``timestamptz`` in step 2, exactly (whole seconds through ``to_timestamp``
   plus the microsecond remainder as an interval, so no float rounding at any date).
2. Fast path: ``INSERT INTO bars SELECT ... FROM bars_stage ON CONFLICT DO NOTHING``. When its row count
   equals the batch size every bar was new and distinct: commit, done. No de-duplication pass, no
   ``RETURNING`` traffic, no sort.
3. Otherwise (redelivery, correction or in-batch duplicates) the transaction is rolled back and the batch
   is written again, de-duplicated in Python (last wins, because ``ON CONFLICT DO UPDATE`` cannot touch
   a row twice in one statement), by one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <row> IS DISTINCT
   FROM <excluded>`` whose ``RETURNING (xmax = 0)`` is folded server-side into (inserted, corrected):
   a freshly inserted tuple has no deleting/locking transaction, an updated one does.

Thread-safety: one writer connection (transactions) and one autocommit reader connection, each behind
its own lock; a connection that breaks is dropped and reopened on the next call, so a database restart
costs the calls made while it was down (``StorageUnavailable``), not the repository.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

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
    micros_to_datetime,
    prepare_query,
)
from mdp.store.storage.schema import run_migrations, sqlalchemy_url

# SQL text below is assembled only from this module's constants (column names); every value is bound as a
# parameter or travels through COPY (S608 is off for this module in pyproject.toml).

if TYPE_CHECKING:
    import psycopg

_COLUMNS = "symbol, timeframe, ts, open, high, low, close, volume, vwap, trade_count, source, venue"
_VALUES = ("open", "high", "low", "close", "volume", "vwap", "trade_count", "source", "venue")
_STAGE_TYPES = ["text", "text", "int8", *["float8"] * 6, "int8", "text", "text"]
_CREATE_STAGE = """
CREATE TEMPORARY TABLE IF NOT EXISTS bars_stage (
    symbol text, timeframe text, ts int8, open float8, high float8, low float8, close float8,
    volume float8, vwap float8, trade_count int8, source text, venue text
) ON COMMIT DELETE ROWS
"""
_COPY_STAGE = f"COPY bars_stage ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_STAGED = (
    "SELECT symbol, timeframe,"
    " to_timestamp(ts / 1000000) + (ts % 1000000) * interval '1 microsecond',"
    f" {', '.join(_VALUES)} FROM bars_stage"
)
_INSERT_NEW = f"INSERT INTO bars ({_COLUMNS}) {_STAGED} ON CONFLICT DO NOTHING"
_UPSERT_COUNTED = f"""
WITH written AS (
    INSERT INTO bars ({_COLUMNS}) {_STAGED}
    ON CONFLICT (symbol, ts, timeframe) DO UPDATE
    SET {", ".join(f"{name} = EXCLUDED.{name}" for name in _VALUES)}
    WHERE ({", ".join(f"bars.{name}" for name in _VALUES)})
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{name}" for name in _VALUES)})
    RETURNING (xmax = 0) AS fresh
)
SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM written
"""
_MICROS = "(extract(epoch FROM {}) * 1000000)::int8"
_SELECT = (
    f"SELECT symbol, timeframe, {_MICROS.format('ts')}, {', '.join(_VALUES)} FROM bars WHERE symbol = %s"
)


def _import_psycopg() -> ModuleType:
    try:
        return importlib.import_module("psycopg")
    except ImportError as exc:
        raise StoreError(
            "PostgreSQL storage needs psycopg: install the 'postgres' extra (pip install 'mdp[postgres]')"
        ) from exc


def libpq_url(database_url: str) -> str:
    """``postgresql+psycopg://`` (SQLAlchemy) or ``postgres://`` -> the ``postgresql://`` libpq accepts."""
    return "postgresql://" + sqlalchemy_url(database_url).removeprefix("postgresql+psycopg://")


class PostgresBarRepository:
    """A :class:`~mdp.store.storage.base.BarRepository` in PostgreSQL (14 or newer)."""

    def __init__(self, database_url: str, *, connect_timeout: int = 5) -> None:
        if not database_url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise StoreError("PostgreSQL URL must start with postgresql:// or postgresql+psycopg://")
        self._psycopg = _import_psycopg()
        self._url = database_url
        self._conninfo = libpq_url(database_url)
        self._connect_timeout = connect_timeout
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._writer: psycopg.Connection[Any] | None = None
        self._reader: psycopg.Connection[Any] | None = None
        self._closed = False

    # -- connections ------------------------------------------------------------------------------------

    def _connect(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        if self._closed:
            raise StorageUnavailable("the PostgreSQL bar repository is closed")
        connection: psycopg.Connection[Any] = self._psycopg.connect(
            self._conninfo,
            autocommit=autocommit,
            connect_timeout=self._connect_timeout,
            application_name="mdp-store",
        )
        return connection

    def _writer_connection(self) -> psycopg.Connection[Any]:
        if self._writer is None or self._writer.closed:
            connection = self._connect(autocommit=False)
            try:
                connection.execute(_CREATE_STAGE)
                connection.commit()
            except BaseException:
                connection.close()
                raise
            self._writer = connection
        return self._writer

    def _reader_connection(self) -> psycopg.Connection[Any]:
        if self._reader is None or self._reader.closed:
            self._reader = self._connect(autocommit=True)
        return self._reader

    @contextmanager
    def _translated(self, *, writing: bool, slot: str) -> Iterator[None]:
        errors = self._psycopg
        try:
            yield
        except StoreError:
            raise
        except (errors.OperationalError, errors.InterfaceError) as exc:
            self._drop_broken(slot)
            raise StorageUnavailable(f"PostgreSQL is unavailable: {exc}") from exc
        except errors.errors.UndefinedTable as exc:
            # Same answer as SQLite's "no such table": the database is not usable until migrate() ran.
            raise StorageUnavailable(f"the store's schema is missing (run migrate): {exc}") from exc
        except (errors.IntegrityError, errors.DataError) as exc:
            raise InvalidBar(f"a bar was rejected by the database: {exc}") from exc
        except (TypeError, ValueError, OverflowError) as exc:
            if not writing:
                raise
            raise InvalidBar(f"a bar row cannot be stored: {exc}") from exc
        except errors.Error as exc:
            raise StoreError(f"PostgreSQL query failed: {exc}") from exc

    def _drop_broken(self, slot: str) -> None:
        # Called with the slot's lock held; a broken connection is closed so the next call reconnects.
        connection = getattr(self, slot)
        if connection is not None and (connection.broken or connection.closed):
            connection.close()
            setattr(self, slot, None)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        connection = self._writer_connection()
        try:
            yield connection
            connection.commit()
        except BaseException:
            if not connection.closed:
                connection.rollback()
            raise

    # -- port -------------------------------------------------------------------------------------------

    def migrate(self) -> None:
        if self._closed:
            raise StorageUnavailable("the PostgreSQL bar repository is closed")
        with self._write_lock:
            run_migrations(self._url)

    def upsert_bars(self, rows: Sequence[BarRow]) -> UpsertResult:
        if not rows:
            return UpsertResult(0, 0, 0)
        with self._write_lock, self._translated(writing=True, slot="_writer"):
            with self._transaction() as connection, connection.cursor() as cursor:
                self._stage(cursor, rows)
                cursor.execute(_INSERT_NEW)
                if cursor.rowcount == len(rows):
                    return UpsertResult(len(rows), 0, 0)
                connection.rollback()
                distinct = dedupe_last_wins(rows)
                self._stage(cursor, distinct)
                cursor.execute(_UPSERT_COUNTED)
                counts = cursor.fetchone()
            assert counts is not None
            inserted, corrected = int(counts[0]), int(counts[1])
        return UpsertResult(inserted, corrected, len(distinct) - inserted - corrected)

    @staticmethod
    def _stage(cursor: psycopg.Cursor[Any], rows: Sequence[BarRow]) -> None:
        with cursor.copy(_COPY_STAGE) as copy:
            copy.set_types(_STAGE_TYPES)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

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
        sql = [_SELECT]
        params: list[Any] = [query.symbol]
        if query.timeframe is not None:
            sql.append("AND timeframe = %s")
            params.append(query.timeframe)
        if query.start_us is not None:
            sql.append("AND ts >= %s")
            params.append(micros_to_datetime(query.start_us))
        if query.end_us is not None:
            sql.append("AND ts < %s")
            params.append(micros_to_datetime(query.end_us))
        if query.after is not None:
            sql.append("AND (ts, timeframe) > (%s, %s)")
            params.extend((micros_to_datetime(query.after[0]), query.after[1]))
        sql.append("ORDER BY ts, timeframe LIMIT %s")
        params.append(query.limit + 1)
        with self._read_lock, self._translated(writing=False, slot="_reader"):
            fetched = self._reader_connection().execute(" ".join(sql), params).fetchall()
        make = tuple.__new__
        bars: list[BarRow] = [make(BarRow, row) for row in fetched[: query.limit]]
        if len(fetched) <= query.limit:
            return BarPage(bars, None)
        last = bars[-1]
        return BarPage(bars, encode_cursor(query.symbol, last.ts, last.timeframe))

    def symbols(self) -> list[SymbolSummary]:
        sql = (
            f"SELECT symbol, timeframe, count(*), {_MICROS.format('min(ts)')}, {_MICROS.format('max(ts)')}"
            " FROM bars GROUP BY symbol, timeframe ORDER BY symbol, timeframe"
        )
        with self._read_lock, self._translated(writing=False, slot="_reader"):
            groups = self._reader_connection().execute(sql).fetchall()
        return summarise(groups)

    def delete_bars(self, symbol: str, start: datetime, end: datetime, timeframe: str | None = None) -> int:
        checked_symbol = check_symbol(symbol)
        checked_timeframe = check_timeframe(timeframe)
        start_us, end_us = check_range(start, end)
        assert start_us is not None
        assert end_us is not None
        sql = "DELETE FROM bars WHERE symbol = %s AND ts >= %s AND ts < %s"
        params: list[Any] = [checked_symbol, micros_to_datetime(start_us), micros_to_datetime(end_us)]
        if checked_timeframe is not None:
            sql += " AND timeframe = %s"
            params.append(checked_timeframe)
        with (
            self._write_lock,
            self._translated(writing=False, slot="_writer"),
            self._transaction() as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
            return cursor.rowcount

    def count(self) -> int:
        with self._read_lock, self._translated(writing=False, slot="_reader"):
            row = self._reader_connection().execute("SELECT count(*) FROM bars").fetchone()
        assert row is not None
        return int(row[0])

    def ping(self) -> float:
        with self._read_lock, self._translated(writing=False, slot="_reader"):
            connection = self._reader_connection()
            started = time.perf_counter()
            connection.execute("SELECT 1").fetchone()
            return time.perf_counter() - started

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self._closed = True
            for connection in (self._writer, self._reader):
                if connection is not None:
                    connection.close()
            self._writer = self._reader = None


__all__ = ["PostgresBarRepository", "libpq_url"]
