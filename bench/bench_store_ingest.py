"""Bar store ingest and query throughput through the store's code path, against bare baselines.

Store path, per batch: ``orjson.loads`` of each md.Bar payload (bytes, as a Pulse message carries them),
``bar_row_from_payload``, then ``BarRepository.upsert_bars`` (one transaction). Baselines, measured in the
same run on the same data, each into a fresh database created by the same migration:

* postgres: (a) bare binary COPY of ready tuples into a temp table + ``INSERT ... SELECT ... ON CONFLICT DO
  NOTHING``; (b) psycopg ``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING``.
* sqlite: bare ``executemany`` of ``INSERT OR IGNORE`` over ready tuples (same file settings).
* query (both): reading 100k bars of one symbol through ``query_bars`` pages vs one bare ``SELECT``.

Data: ``--symbols`` symbols, one 1m bar each per minute, emitted minute by minute (a live feed's order).

    uv run python bench/bench_store_ingest.py --backend sqlite --rows 200000
    uv run python bench/bench_store_ingest.py --backend postgres --rows 200000
"""

from __future__ import annotations

import argparse
import gc
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from mdp.store.storage.base import BarRepository
from mdp.store.storage.postgres import PostgresBarRepository, libpq_url
from mdp.store.storage.rows import MAX_PAGE_LIMIT, bar_row_from_payload
from mdp.store.storage.sqlite import SqliteBarRepository

STORE = "store path (bytes -> upsert_bars)"
T0 = datetime(2025, 10, 17, 13, 30, tzinfo=UTC)
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536", "wal_autocheckpoint=4000")
COLUMNS = "symbol, timeframe, ts, open, high, low, close, volume, vwap, trade_count, source, venue"


def make_payloads(rows: int, symbols: int, *, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(rows):
        minute, n = divmod(i, symbols)
        price = 50.0 + n + rng.random()
        out.append(
            orjson.dumps(
                {
                    "symbol": f"S{n:04d}",
                    "timeframe": "1m",
                    "ts": (T0 + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z"),
                    "open": price,
                    "high": price + 0.75,
                    "low": price - 0.5,
                    "close": price + 0.25,
                    "volume": float(rng.randint(100, 100_000)),
                    "vwap": price + 0.1,
                    "trade_count": rng.randint(1, 5_000),
                    "source": "bench",
                }
            )
        )
    return out


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def timed(label: str, rows: int, results: dict[str, float]) -> Iterator[None]:
    gc.collect()
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    results[label] = rows / elapsed
    print(f"  {label:<48} {rows / elapsed:>12,.0f} rows/s   ({elapsed:.2f} s)")


def store_path(repo: BarRepository, payloads: list[bytes], batch: int) -> tuple[float, float]:
    """Run the store's per-message work; returns (seconds converting, seconds in upsert_bars)."""
    loads, convert = orjson.loads, bar_row_from_payload
    converting = writing = 0.0
    for chunk in batches(payloads, batch):
        started = time.perf_counter()
        rows = [convert(loads(body)) for body in chunk]
        converted = time.perf_counter()
        repo.upsert_bars(rows)
        writing += time.perf_counter() - converted
        converting += converted - started
    return converting, writing


def ready_tuples(payloads: list[bytes], *, datetimes: bool) -> list[tuple[Any, ...]]:
    rows = [tuple(bar_row_from_payload(orjson.loads(body))) for body in payloads]
    if not datetimes:
        return rows
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return [(*row[:2], epoch + timedelta(microseconds=row[2]), *row[3:]) for row in rows]


def report(results: dict[str, float], store: str, baselines: list[str], target: float) -> None:
    print("\nratios (store path / baseline):")
    for name in baselines:
        print(f"  vs {name:<45} {results[store] / results[name]:.2f}x")
    verdict = "met" if results[store] >= target else "MISSED"
    print(f"target {target:,.0f} bars/s: {verdict} ({results[store]:,.0f})")


# -- SQLite -------------------------------------------------------------------------------------------------


def bench_sqlite(args: argparse.Namespace, payloads: list[bytes]) -> None:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="mdp-bench-") as tmp:
        repo = SqliteBarRepository(Path(tmp) / "store.db")
        repo.migrate()
        split: tuple[float, float] = (0.0, 0.0)
        with timed(STORE, len(payloads), results):
            split = store_path(repo, payloads, args.batch)
        print(f"    of which loads+convert {split[0]:.2f} s, upsert_bars {split[1]:.2f} s")
        with timed("store path, redelivery (all unchanged)", len(payloads), results):
            store_path(repo, payloads, args.batch)
        repo.close()

        baseline = SqliteBarRepository(Path(tmp) / "bare.db")
        baseline.migrate()  # same schema and file settings; then a bare connection does the writes
        baseline.close()
        rows = ready_tuples(payloads, datetimes=False)
        connection = sqlite3.connect(Path(tmp) / "bare.db", isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "cache_size=-65536",
            "wal_autocheckpoint=4000",
        ):
            connection.execute(f"PRAGMA {pragma}")
        sql = f"INSERT OR IGNORE INTO bars ({COLUMNS}) VALUES ({', '.join('?' * 12)})"
        with timed("bare executemany INSERT OR IGNORE (ready tuples)", len(rows), results):
            for chunk in batches(rows, args.batch):
                connection.execute("BEGIN")
                connection.executemany(sql, chunk)
                connection.execute("COMMIT")
        connection.close()
        report(
            results,
            "store path (bytes -> upsert_bars)",
            ["bare executemany INSERT OR IGNORE (ready tuples)"],
            400_000,
        )

        query_repo = SqliteBarRepository(Path(tmp) / "query.db")
        query_repo.migrate()

        def bare_select() -> int:
            with sqlite3.connect(Path(tmp) / "query.db") as bare:
                fetched = bare.execute(
                    f"SELECT {COLUMNS} FROM bars WHERE symbol = ? ORDER BY ts, timeframe", ["QRY"]
                ).fetchall()
            bare.close()
            return len(fetched)

        bench_query(query_repo, args, bare_select)
        query_repo.close()


# -- PostgreSQL ---------------------------------------------------------------------------------------------


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    import psycopg

    name = f"mdp_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(libpq_url(admin_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_postgres(args: argparse.Namespace, payloads: list[bytes]) -> None:
    import psycopg

    results: dict[str, float] = {}
    with fresh_database(args.database_url) as url:
        repo = PostgresBarRepository(url)
        repo.migrate()
        split: tuple[float, float] = (0.0, 0.0)
        with timed(STORE, len(payloads), results):
            split = store_path(repo, payloads, args.batch)
        print(f"    of which loads+convert {split[0]:.2f} s, upsert_bars {split[1]:.2f} s")
        with timed("store path, redelivery (all unchanged)", len(payloads), results):
            store_path(repo, payloads, args.batch)
        repo.close()

    rows = ready_tuples(payloads, datetimes=True)
    with fresh_database(args.database_url) as url:
        PostgresBarRepository(url).migrate()
        with psycopg.connect(libpq_url(url)) as connection:
            connection.execute(
                "CREATE TEMP TABLE stage (symbol text, timeframe text, ts timestamptz, open float8,"
                " high float8, low float8, close float8, volume float8, vwap float8, trade_count int8,"
                " source text, venue text) ON COMMIT DELETE ROWS"
            )
            connection.commit()
            types = ["text", "text", "timestamptz", *["float8"] * 6, "int8", "text", "text"]
            with timed("bare binary COPY + INSERT ON CONFLICT", len(rows), results):
                for chunk in batches(rows, args.batch):
                    with connection.cursor() as cursor:
                        with cursor.copy(f"COPY stage ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                            copy.set_types(types)
                            for row in chunk:
                                copy.write_row(row)
                        cursor.execute(
                            f"INSERT INTO bars ({COLUMNS}) SELECT {COLUMNS} FROM stage ON CONFLICT DO NOTHING"
                        )
                    connection.commit()
    with fresh_database(args.database_url) as url:
        PostgresBarRepository(url).migrate()
        with psycopg.connect(libpq_url(url)) as connection:
            sql = f"INSERT INTO bars ({COLUMNS}) VALUES ({', '.join(['%s'] * 12)}) ON CONFLICT DO NOTHING"
            with timed("bare psycopg executemany", len(rows), results):
                for chunk in batches(rows, args.batch):
                    with connection.cursor() as cursor:
                        cursor.executemany(sql, chunk)
                    connection.commit()
    report(
        results,
        STORE,
        ["bare binary COPY + INSERT ON CONFLICT", "bare psycopg executemany"],
        250_000,
    )

    with fresh_database(args.database_url) as url:
        query_repo = PostgresBarRepository(url)
        query_repo.migrate()

        def bare_select() -> int:
            with psycopg.connect(libpq_url(url)) as bare:
                return len(
                    bare.execute(
                        f"SELECT {COLUMNS} FROM bars WHERE symbol = %s ORDER BY ts, timeframe", ["QRY"]
                    ).fetchall()
                )

        bench_query(query_repo, args, bare_select)
        query_repo.close()


# -- query --------------------------------------------------------------------------------------------------


def bench_query(repo: BarRepository, args: argparse.Namespace, bare_select: Callable[[], int]) -> None:
    count = args.query_rows
    rows = [bar_row_from_payload(orjson.loads(body)) for body in make_payloads(count, 1)]
    rows = [row._replace(symbol="QRY") for row in rows]
    for chunk in batches(rows, 10_000):
        repo.upsert_bars(chunk)
    results: dict[str, float] = {}
    print(f"\nquery: {count:,} bars of one symbol")
    with timed(f"query_bars pages of {MAX_PAGE_LIMIT:,} (cursor walk)", count, results):
        seen, cursor = 0, None
        while True:
            page = repo.query_bars("QRY", limit=MAX_PAGE_LIMIT, cursor=cursor)
            seen += len(page.bars)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == count, seen
    with timed("bare SELECT ... ORDER BY ts (one fetchall)", count, results):
        assert bare_select() == count
    print(f"  ratio: {results[next(iter(results))] / results[list(results)[1]]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000, help="bars per upsert_bars call")
    parser.add_argument("--symbols", type=int, default=100, help="symbols interleaved per minute")
    parser.add_argument("--query-rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="admin URL; the benchmark creates and drops its own databases",
    )
    args = parser.parse_args()
    payloads = make_payloads(args.rows, args.symbols)
    print(
        f"backend={args.backend} rows={args.rows:,} batch={args.batch:,} symbols={args.symbols}"
        f" payload={len(payloads[0])} bytes"
    )
    if args.backend == "sqlite":
        bench_sqlite(args, payloads)
    else:
        bench_postgres(args, payloads)


if __name__ == "__main__":
    main()
