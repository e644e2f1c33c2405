"""The PostgreSQL adapter against the port's suite (a fresh database per test), plus server behaviour."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from mdp.store.errors import StorageUnavailable, StoreError
from mdp.store.storage.factory import create_bar_repository
from mdp.store.storage.postgres import PostgresBarRepository, libpq_url
from tests.suites.bar_data import bar
from tests.suites.bar_repository import BarRepositorySuite

pytestmark = pytest.mark.postgres


class TestPostgresBarRepository(BarRepositorySuite):
    @pytest.fixture
    def repo(self, postgres_url: str) -> Iterator[PostgresBarRepository]:
        repository = PostgresBarRepository(postgres_url)
        repository.migrate()
        yield repository
        repository.close()


@pytest.fixture
def repo(postgres_url: str) -> Iterator[PostgresBarRepository]:
    repository = PostgresBarRepository(postgres_url)
    repository.migrate()
    yield repository
    repository.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["postgresql://", "postgresql+psycopg://", "postgres://"])
def test_factory_accepts_every_postgres_url_form(postgres_url: str, scheme: str, tmp_path: Path) -> None:
    url = scheme + postgres_url.split("://", 1)[1]
    repository = create_bar_repository(url, data_dir=tmp_path)
    assert isinstance(repository, PostgresBarRepository)
    try:
        repository.migrate()
        assert repository.upsert_bars([bar()]).inserted == 1
    finally:
        repository.close()


def test_libpq_url_strips_the_sqlalchemy_driver() -> None:
    assert libpq_url("postgresql+psycopg://u@h:5/d") == "postgresql://u@h:5/d"
    assert libpq_url("postgres://u@h/d") == "postgresql://u@h/d"


def test_rejects_non_postgres_urls() -> None:
    with pytest.raises(StoreError):
        PostgresBarRepository("mysql://u@h/d")


def test_stores_timestamptz_and_its_own_version_table(repo: PostgresBarRepository, postgres_url: str) -> None:
    repo.upsert_bars([bar()])
    with psycopg.connect(libpq_url(postgres_url)) as connection:
        (ts,) = connection.execute("SELECT ts FROM bars").fetchone()  # type: ignore[misc]
        assert ts == datetime(2025, 10, 17, 14, 30, tzinfo=UTC)
        versions = connection.execute("SELECT version_num FROM alembic_version_store").fetchall()
        assert versions == [("0001",)]
        (collation,) = connection.execute(  # type: ignore[misc]
            "SELECT collation_name FROM information_schema.columns"
            " WHERE table_name = 'bars' AND column_name = 'symbol'"
        ).fetchone()
        assert collation == "C"


def test_shares_a_database_with_another_alembic_history(postgres_url: str) -> None:
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('registry_0007')")
    repository = PostgresBarRepository(postgres_url)
    try:
        repository.migrate()
        repository.migrate()
    finally:
        repository.close()
    with psycopg.connect(libpq_url(postgres_url)) as connection:
        assert connection.execute("SELECT * FROM alembic_version").fetchall() == [("registry_0007",)]


def test_unreachable_server_is_unavailable() -> None:
    repository = PostgresBarRepository(f"postgresql://postgres@127.0.0.1:{_free_port()}/nowhere")
    try:
        for call in (
            repository.ping,
            repository.count,
            repository.migrate,
            lambda: repository.upsert_bars([bar()]),
        ):
            with pytest.raises(StorageUnavailable):
                call()
    finally:
        repository.close()


def test_reconnects_after_the_server_drops_the_connections(
    repo: PostgresBarRepository, postgres_url: str
) -> None:
    repo.upsert_bars([bar(minute=0)])
    assert repo.count() == 1
    dbname = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND application_name = 'mdp-store'",
            [dbname],
        )
    with pytest.raises(StorageUnavailable):
        repo.upsert_bars([bar(minute=1)])
    with pytest.raises(StorageUnavailable):
        repo.count()
    # The next calls reconnect (and recreate the session's staging table).
    assert repo.upsert_bars([bar(minute=1)]).inserted == 1
    assert repo.count() == 2
    assert repo.ping() >= 0.0


def test_closed_repository_is_unavailable(repo: PostgresBarRepository) -> None:
    repo.close()
    repo.close()
    with pytest.raises(StorageUnavailable):
        repo.ping()
    with pytest.raises(StorageUnavailable):
        repo.upsert_bars([bar()])


def test_missing_schema_is_unavailable_until_migrated(postgres_url: str) -> None:
    repository = PostgresBarRepository(postgres_url)
    try:
        with pytest.raises(StorageUnavailable, match="run migrate"):
            repository.count()
        with pytest.raises(StorageUnavailable, match="run migrate"):
            repository.upsert_bars([bar()])
        repository.migrate()
        assert repository.upsert_bars([bar()]).inserted == 1
    finally:
        repository.close()
