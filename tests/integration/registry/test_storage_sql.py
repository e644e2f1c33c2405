"""The storage suite on SQLite (a file) and PostgreSQL, plus what only the SQL adapter does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mdp.registry.errors import StorageError
from mdp.registry.storage import open_storage
from mdp.registry.storage.sql import SqlSchemaStorage, normalize_url, sqlite_url
from mdp.registry.storage.tables import VERSION_TABLE
from mdp.settings import MdpSettings
from tests.suites.registry_storage import SchemaStorageSuite


class TestSqliteStorage(SchemaStorageSuite):
    durable = True

    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return sqlite_url(tmp_path / "data")

    @pytest.fixture
    def storage(self, url: str) -> Iterator[SqlSchemaStorage]:
        storage = SqlSchemaStorage(url)
        yield storage
        storage.close()

    @pytest.fixture
    def reopen(self, url: str) -> Callable[[], SqlSchemaStorage]:
        return lambda: SqlSchemaStorage(url)


@pytest.mark.postgres
class TestPostgresStorage(SchemaStorageSuite):
    durable = True

    @pytest.fixture
    def storage(self, postgres_url: str) -> Iterator[SqlSchemaStorage]:
        storage = SqlSchemaStorage(postgres_url)
        yield storage
        storage.close()

    @pytest.fixture
    def reopen(self, postgres_url: str) -> Callable[[], SqlSchemaStorage]:
        return lambda: SqlSchemaStorage(postgres_url)


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_default_storage_is_a_wal_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    storage = open_storage(MdpSettings(data_dir=tmp_path / "d"))
    try:
        assert (tmp_path / "d" / "registry.db").is_file()
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'd' / 'registry.db'}")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            tables = set(sa.inspect(conn).get_table_names())
            version = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
        engine.dispose()
        assert {"registry_tracks", "registry_schemas", "registry_subjects", "registry_versions"} <= tables
        assert {"registry_outbox", VERSION_TABLE} <= tables
        assert "alembic_version" not in tables
        assert version == "r0001"
    finally:
        storage.close()


@pytest.mark.postgres
def test_migrations_are_idempotent_and_share_a_database(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:  # another component's table and alembic history already there
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num varchar(32) primary key)")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('someone-else')")
    first = SqlSchemaStorage(postgres_url)
    second = SqlSchemaStorage(postgres_url)  # a second replica starting: nothing to do
    try:
        assert second.list_tracks() == first.list_tracks()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "someone-else"
            assert conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar() == "r0001"
    finally:
        first.close()
        second.close()
        engine.dispose()


def test_unreachable_database_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="migrating"):
        SqlSchemaStorage("postgresql://nobody@127.0.0.1:1/none")


def test_unsupported_urls_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="unsupported"):
        SqlSchemaStorage("mysql://u@h/db")
    with pytest.raises(StorageError, match="SQLite file"):
        SqlSchemaStorage("sqlite://")
    with pytest.raises(StorageError, match="invalid database URL"):
        SqlSchemaStorage("not a url")
