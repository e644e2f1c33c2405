"""SQLAlchemy Core definition of the store's tables, and the alembic runner that creates them.

One table, ``bars``, with column types chosen per dialect:

=============  ==================================  ===========================================
column         PostgreSQL                          SQLite (``STRICT``, ``WITHOUT ROWID``)
=============  ==================================  ===========================================
symbol         ``text COLLATE "C"``                ``TEXT`` (BINARY collation)
ts             ``timestamptz``                     ``INTEGER`` (UTC epoch microseconds)
timeframe      ``text COLLATE "C"``                ``TEXT``
open .. vwap   ``double precision``                ``REAL``
trade_count    ``bigint``                          ``INTEGER``
source, venue  ``text``                            ``TEXT``
=============  ==================================  ===========================================

The primary key is the natural key in the order (symbol, ts, timeframe): the one index serves both the
uniqueness check on ingest and the keyset scan of ``query_bars`` (ordered by ts, then timeframe). The
``C`` collation makes PostgreSQL compare keys bytewise, which is faster than the database's libc collation
and orders exactly like SQLite's BINARY collation and Python's ``str`` (code point order), so every adapter
returns symbols and timeframes in the same order. The migration (``migrations/versions``) is the source
of truth for the database; this module mirrors it, and a test compares the two.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mdp.store.errors import StorageUnavailable, StoreError

VERSION_TABLE = "alembic_version_store"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

KEY_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
MICROS_OR_TIMESTAMPTZ = (
    sa.BigInteger()
    .with_variant(sqlite.INTEGER(), "sqlite")
    .with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
)
DOUBLE: sa.types.TypeEngine[float] = sa.Double().with_variant(sqlite.REAL(), "sqlite")
BIGINT = sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite")

metadata = sa.MetaData()

bars = sa.Table(
    "bars",
    metadata,
    sa.Column("symbol", KEY_TEXT, nullable=False),
    sa.Column("timeframe", KEY_TEXT, nullable=False),
    sa.Column("ts", MICROS_OR_TIMESTAMPTZ, nullable=False),
    sa.Column("open", DOUBLE, nullable=False),
    sa.Column("high", DOUBLE, nullable=False),
    sa.Column("low", DOUBLE, nullable=False),
    sa.Column("close", DOUBLE, nullable=False),
    sa.Column("volume", DOUBLE, nullable=False),
    sa.Column("vwap", DOUBLE, nullable=True),
    sa.Column("trade_count", BIGINT, nullable=True),
    sa.Column("source", sa.Text(), nullable=True),
    sa.Column("venue", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("symbol", "ts", "timeframe", name="bars_pkey"),
    sqlite_with_rowid=False,
    sqlite_strict=True,
)


def sqlalchemy_url(database_url: str) -> str:
    """Normalise a PostgreSQL URL to SQLAlchemy's psycopg 3 dialect; other URLs pass through."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def run_migrations(database_url: str) -> None:
    """``alembic upgrade head`` for the store's tables (version table ``alembic_version_store``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    except sa.exc.OperationalError as exc:
        raise StorageUnavailable(f"cannot migrate the store database: {exc.orig or exc}") from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"store migration failed: {exc}") from exc
    finally:
        engine.dispose()


__all__ = ["MIGRATIONS_DIR", "VERSION_TABLE", "bars", "metadata", "run_migrations", "sqlalchemy_url"]
