"""Pick the bar repository for a configuration: PostgreSQL for ``postgresql://`` URLs, SQLite otherwise."""

from __future__ import annotations

from pathlib import Path

from mdp.store.errors import StoreError
from mdp.store.storage.base import BarRepository

STORE_DB_FILENAME = "store.db"
_POSTGRES_PREFIXES = ("postgresql://", "postgresql+psycopg://", "postgres://")
_SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def create_bar_repository(database_url: str | None, data_dir: Path) -> BarRepository:
    """The repository for ``MDP_DATABASE_URL`` (None: ``<data_dir>/store.db``); call ``migrate()`` next.

    Accepted URLs: ``postgresql://``, ``postgresql+psycopg://``, ``postgres://``, ``sqlite:///<path>``
    and ``memory://`` (in-process, nothing persisted).
    """
    if database_url is None or not database_url.strip():
        from mdp.store.storage.sqlite import SqliteBarRepository

        return SqliteBarRepository(Path(data_dir) / STORE_DB_FILENAME)
    url = database_url.strip()
    if url.startswith(_POSTGRES_PREFIXES):
        from mdp.store.storage.postgres import PostgresBarRepository

        return PostgresBarRepository(url)
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix) and len(url) > len(prefix):
            from mdp.store.storage.sqlite import SqliteBarRepository

            return SqliteBarRepository(Path(url[len(prefix) :]))
    if url == "memory://":
        from mdp.store.storage.memory import InMemoryBarRepository

        return InMemoryBarRepository()
    scheme = url.split(":", 1)[0]
    raise StoreError(
        f"unsupported store database URL scheme {scheme!r} (postgresql://, sqlite:///, memory://)"
    )


__all__ = ["STORE_DB_FILENAME", "create_bar_repository"]
