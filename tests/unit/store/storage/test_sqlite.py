"""The SQLite adapter against the port's suite, plus what only a file database can show."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from mdp.store.errors import StorageUnavailable
from mdp.store.storage.factory import create_bar_repository
from mdp.store.storage.sqlite import SqliteBarRepository
from tests.suites.bar_data import at, bar
from tests.suites.bar_repository import BarRepositorySuite


class TestSqliteBarRepository(BarRepositorySuite):
    @pytest.fixture
    def repo(self, data_dir: Path) -> Iterator[SqliteBarRepository]:
        repository = SqliteBarRepository(data_dir / "store.db")
        repository.migrate()
        yield repository
        repository.close()


@pytest.fixture
def repo(data_dir: Path) -> Iterator[SqliteBarRepository]:
    repository = SqliteBarRepository(data_dir / "store.db", busy_timeout=0.2)
    repository.migrate()
    yield repository
    repository.close()


def test_factory_defaults_to_store_db_in_the_data_dir(data_dir: Path) -> None:
    repository = create_bar_repository(None, data_dir)
    assert isinstance(repository, SqliteBarRepository)
    assert repository.path == data_dir / "store.db"
    repository.migrate()
    repository.close()
    assert (data_dir / "store.db").is_file()


def test_data_survives_reopening(repo: SqliteBarRepository) -> None:
    repo.upsert_bars([bar(minute=m) for m in range(3)])
    repo.close()
    reopened = SqliteBarRepository(repo.path)
    try:
        reopened.migrate()
        assert reopened.count() == 3
        assert reopened.query_bars("AAPL").bars == [bar(minute=m) for m in range(3)]
    finally:
        reopened.close()


def test_uses_wal_and_records_its_own_alembic_version(repo: SqliteBarRepository) -> None:
    with closing(sqlite3.connect(repo.path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT version_num FROM alembic_version_store").fetchall() == [("0001",)]
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"bars", "alembic_version_store"}


def test_locked_database_is_unavailable_and_nothing_is_lost(repo: SqliteBarRepository) -> None:
    repo.upsert_bars([bar(minute=0)])
    blocker = sqlite3.connect(repo.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageUnavailable):
            repo.upsert_bars([bar(minute=1)])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert repo.upsert_bars([bar(minute=1)]).inserted == 1
    assert repo.count() == 2


def test_unopenable_path_is_unavailable(tmp_path: Path) -> None:
    occupied = tmp_path / "a-file"
    occupied.write_text("not a directory")
    repository = SqliteBarRepository(occupied / "store.db")
    with pytest.raises(StorageUnavailable):
        repository.migrate()
    with pytest.raises(StorageUnavailable):
        repository.ping()
    repository.close()


def test_corrupt_file_is_unavailable(data_dir: Path) -> None:
    path = data_dir / "store.db"
    path.write_bytes(b"this is not an SQLite database" * 100)
    repository = SqliteBarRepository(path)
    with pytest.raises(StorageUnavailable):
        repository.migrate()
    with pytest.raises(StorageUnavailable):
        repository.count()
    repository.close()


def test_closed_repository_is_unavailable(repo: SqliteBarRepository) -> None:
    repo.close()
    repo.close()
    for call in (repo.ping, repo.count, repo.migrate, lambda: repo.upsert_bars([bar()])):
        with pytest.raises(StorageUnavailable):
            call()


def test_missing_schema_is_reported_not_created_implicitly(data_dir: Path) -> None:
    repository = SqliteBarRepository(data_dir / "fresh.db")
    try:
        with pytest.raises(StorageUnavailable, match="no such table"):
            repository.upsert_bars([bar()])
        repository.migrate()
        assert repository.upsert_bars([bar()]).inserted == 1
    finally:
        repository.close()


def test_delete_is_visible_to_other_connections(repo: SqliteBarRepository) -> None:
    repo.upsert_bars([bar(minute=m) for m in range(5)])
    assert repo.delete_bars("AAPL", at(0), at(2)) == 2
    with closing(sqlite3.connect(repo.path)) as connection:
        assert connection.execute("SELECT count(*) FROM bars").fetchone() == (3,)
