"""The in-memory adapter against the port's suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mdp.store.storage.memory import InMemoryBarRepository
from tests.suites.bar_repository import BarRepositorySuite


class TestInMemoryBarRepository(BarRepositorySuite):
    @pytest.fixture
    def repo(self) -> Iterator[InMemoryBarRepository]:
        repository = InMemoryBarRepository()
        repository.migrate()
        yield repository
        repository.close()
