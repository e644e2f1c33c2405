"""Schema storage: the port (:mod:`.base`) and its adapters (:mod:`.memory`, :mod:`.sql`)."""

from __future__ import annotations

from mdp.registry.storage.base import SchemaStorage
from mdp.registry.storage.memory import MemorySchemaStorage
from mdp.registry.storage.sql import SqlSchemaStorage, normalize_url, sqlite_url
from mdp.settings import MdpSettings


def open_storage(settings: MdpSettings) -> SchemaStorage:
    """The storage the settings ask for: PostgreSQL (or any URL) from ``MDP_DATABASE_URL``, else the
    embedded SQLite file ``<MDP_DATA_DIR>/registry.db``. ``MDP_DATABASE_URL=memory`` keeps everything in
    process memory (lost on exit; for demos and tests)."""
    url = settings.database_url
    if url == "memory":
        return MemorySchemaStorage()
    return SqlSchemaStorage(url or sqlite_url(settings.data_dir))


__all__ = [
    "MemorySchemaStorage",
    "SchemaStorage",
    "SqlSchemaStorage",
    "normalize_url",
    "open_storage",
    "sqlite_url",
]
