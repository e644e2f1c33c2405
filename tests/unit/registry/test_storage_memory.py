"""The storage suite on the in-memory adapter."""

from __future__ import annotations

import pytest

from mdp.registry.errors import StorageError
from mdp.registry.storage.memory import MemorySchemaStorage
from tests.suites.registry_storage import SchemaStorageSuite


class TestMemoryStorage(SchemaStorageSuite):
    @pytest.fixture
    def storage(self) -> MemorySchemaStorage:
        return MemorySchemaStorage()


def test_a_closed_memory_storage_refuses_work() -> None:
    storage = MemorySchemaStorage()
    storage.close()
    with pytest.raises(StorageError):
        storage.ping()
    with pytest.raises(StorageError):
        storage.revisions()
