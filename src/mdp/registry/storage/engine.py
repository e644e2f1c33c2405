"""Engines for the SQL schema storage, and the translation of database errors into registry errors.

* ``postgresql://`` and ``postgres://`` URLs are mapped to psycopg 3; the pool pre-pings so a restarted
  database is reconnected to transparently.
* SQLite must be a file. Every connection enables WAL (readers never block the writer), foreign keys and
  a 30 s busy timeout, and takes transaction control away from the ``sqlite3`` module so write
  transactions can start with ``BEGIN IMMEDIATE`` (two writers then queue instead of failing on a lock
  upgrade): pass ``execution_options(sqlite_begin="IMMEDIATE")`` on the connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from mdp.registry.errors import ConcurrentModification, RegistryError, StorageError

SQLITE_FILE_NAME = "registry.db"


def normalize_url(url: str) -> str:
    """Map ``postgresql://`` / ``postgres://`` to the psycopg 3 driver; leave other URLs alone."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def sqlite_url(data_dir: Path) -> str:
    """The URL of the default embedded database under ``data_dir`` (created if missing)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / SQLITE_FILE_NAME).resolve()}"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


@contextlib.contextmanager
def translate(operation: str) -> Iterator[None]:
    """Turn SQLAlchemy / driver errors into registry errors, leaving our own exceptions untouched."""
    try:
        yield
    except RegistryError:
        raise
    except IntegrityError as exc:
        raise ConcurrentModification(f"{operation}: a concurrent write won ({exc.orig})") from exc
    except (DBAPIError, SQLAlchemyError) as exc:
        raise StorageError(f"{operation} failed: {exc.__class__.__name__}: {exc}") from exc


def create_storage_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL), or :class:`StorageError` saying what is wrong."""
    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError as exc:
        raise StorageError(f"invalid database URL: {exc}") from exc
    dialect = parsed.get_backend_name()
    if dialect not in {"sqlite", "postgresql"}:
        raise StorageError(f"unsupported database {dialect!r}: use sqlite or postgresql")
    try:
        if dialect == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                raise StorageError("the SQL storage needs a SQLite file; use the memory storage instead")
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                parsed,
                connect_args={"check_same_thread": False, "timeout": 30},
                json_serializer=_dumps,
                json_deserializer=orjson.loads,
            )
            _configure_sqlite(engine)
            return engine
        return create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_pre_ping=True,
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
        )
    except (NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"database driver missing ({exc}); install mdp[postgres]") from exc


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and explicit BEGIN so write transactions can be IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; the "begin" hook below issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


__all__ = ["SQLITE_FILE_NAME", "create_storage_engine", "normalize_url", "sqlite_url", "translate"]
