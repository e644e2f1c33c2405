"""The alembic migration and the SQLAlchemy table definition describe the same database, on both dialects."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mdp.store.storage.schema import VERSION_TABLE, metadata, run_migrations, sqlalchemy_url


def _differences(url: str) -> list[object]:
    engine = sa.create_engine(sqlalchemy_url(url), poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return [
                diff
                for diff in compare_metadata(context, metadata)
                if not (
                    isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == VERSION_TABLE
                )
            ]
    finally:
        engine.dispose()


def test_sqlite_migration_matches_the_table_definition(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    run_migrations(url)
    run_migrations(url)
    assert _differences(url) == []


@pytest.mark.postgres
def test_postgres_migration_matches_the_table_definition(postgres_url: str) -> None:
    run_migrations(postgres_url)
    run_migrations(postgres_url)
    assert _differences(postgres_url) == []


def test_sqlalchemy_url_normalises_postgres_schemes() -> None:
    assert sqlalchemy_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sqlalchemy_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sqlalchemy_url("sqlite:///x.db") == "sqlite:///x.db"
