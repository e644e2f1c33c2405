"""Hypothesis: random sequences of upserts and deletes leave every SQL adapter exactly where the in-memory
model ends up, with the same counts at every step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdp.store.storage.base import BarRepository
from mdp.store.storage.memory import InMemoryBarRepository
from mdp.store.storage.postgres import PostgresBarRepository, libpq_url
from mdp.store.storage.rows import BarRow
from mdp.store.storage.sqlite import SqliteBarRepository
from tests.suites.bar_data import at, bar

# A small key space and value space, so that batches collide with stored keys, repeat keys within a batch
# and rewrite identical values often.
_bars = st.builds(
    lambda symbol, frame, minute, close, venue: bar(symbol, frame, minute, close=close, venue=venue),
    symbol=st.sampled_from(["AAPL", "MSFT"]),
    frame=st.sampled_from(["1m", "5m"]),
    minute=st.integers(min_value=0, max_value=5),
    close=st.sampled_from([100.0, 100.5, 101.0]),
    venue=st.sampled_from([None, "XNAS"]),
)
_upsert = st.tuples(st.just("upsert"), st.lists(_bars, max_size=12))
_delete = st.tuples(
    st.just("delete"),
    st.tuples(
        st.sampled_from(["AAPL", "MSFT"]),
        st.integers(min_value=0, max_value=6),
        st.integers(min_value=0, max_value=3),
        st.sampled_from([None, "1m"]),
    ),
)
_operations = st.lists(st.one_of(_upsert, _upsert, _delete), min_size=1, max_size=8)
_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _state(repo: BarRepository) -> list[BarRow]:
    rows: list[BarRow] = []
    for symbol in ("AAPL", "MSFT"):
        rows.extend(repo.query_bars(symbol, limit=1000).bars)
    return rows


def _check_against_model(repo: BarRepository, operations: list[tuple[str, object]]) -> None:
    model = InMemoryBarRepository()
    for kind, argument in operations:
        if kind == "upsert":
            assert isinstance(argument, list)
            assert repo.upsert_bars(argument) == model.upsert_bars(argument)
        else:
            assert isinstance(argument, tuple)
            symbol, first, width, frame = argument
            args = (symbol, at(first), at(first + width), frame)
            assert repo.delete_bars(*args) == model.delete_bars(*args)
    assert _state(repo) == _state(model)
    assert repo.symbols() == model.symbols()
    assert repo.count() == model.count()


@pytest.fixture
def sqlite_repo(data_dir: Path) -> Iterator[SqliteBarRepository]:
    repository = SqliteBarRepository(data_dir / "store.db")
    repository.migrate()
    yield repository
    repository.close()


@pytest.fixture
def postgres_repo(postgres_url: str) -> Iterator[tuple[PostgresBarRepository, Callable[[], None]]]:
    repository = PostgresBarRepository(postgres_url)
    repository.migrate()

    def truncate() -> None:
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as connection:
            connection.execute("TRUNCATE bars")

    yield repository, truncate
    repository.close()


@_SETTINGS
@given(operations=_operations)
def test_sqlite_matches_the_model(
    sqlite_repo: SqliteBarRepository, operations: list[tuple[str, object]]
) -> None:
    sqlite_repo.delete_bars("AAPL", at(-1), at(100))
    sqlite_repo.delete_bars("MSFT", at(-1), at(100))
    _check_against_model(sqlite_repo, operations)


@pytest.mark.postgres
@_SETTINGS
@given(operations=_operations)
def test_postgres_matches_the_model(
    postgres_repo: tuple[PostgresBarRepository, Callable[[], None]], operations: list[tuple[str, object]]
) -> None:
    repository, truncate = postgres_repo
    truncate()
    _check_against_model(repository, operations)
