"""Choosing an adapter from MDP_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from mdp.store.errors import StoreError
from mdp.store.storage.factory import create_bar_repository
from mdp.store.storage.memory import InMemoryBarRepository
from mdp.store.storage.sqlite import SqliteBarRepository


@pytest.mark.parametrize("url", [None, "", "   "])
def test_unset_url_means_sqlite_in_the_data_dir(data_dir: Path, url: str | None) -> None:
    repository = create_bar_repository(url, data_dir)
    assert isinstance(repository, SqliteBarRepository)
    assert repository.path == data_dir / "store.db"


def test_sqlite_url_names_the_file(tmp_path: Path, data_dir: Path) -> None:
    repository = create_bar_repository(f"sqlite:///{tmp_path / 'elsewhere.db'}", data_dir)
    assert isinstance(repository, SqliteBarRepository)
    assert repository.path == tmp_path / "elsewhere.db"


def test_memory_url(data_dir: Path) -> None:
    assert isinstance(create_bar_repository("memory://", data_dir), InMemoryBarRepository)


@pytest.mark.parametrize("url", ["mysql://u@h/d", "sqlite://", "redis://localhost", "bars.db"])
def test_unsupported_urls_are_refused(data_dir: Path, url: str) -> None:
    with pytest.raises(StoreError, match="unsupported"):
        create_bar_repository(url, data_dir)
