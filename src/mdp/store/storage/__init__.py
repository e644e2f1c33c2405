"""Bar storage: the :class:`BarRepository` port, its row type and the factory choosing an adapter.

Adapters are imported lazily by :func:`create_bar_repository` (PostgreSQL needs the ``postgres`` extra).
"""

from __future__ import annotations

from mdp.store.storage.base import BarPage, BarRepository, SymbolSummary, UpsertResult
from mdp.store.storage.factory import create_bar_repository
from mdp.store.storage.rows import (
    DEFAULT_PAGE_LIMIT,
    MAX_PAGE_LIMIT,
    BarRow,
    bar_row_from_payload,
    bar_row_to_dict,
)

__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "MAX_PAGE_LIMIT",
    "BarPage",
    "BarRepository",
    "BarRow",
    "SymbolSummary",
    "UpsertResult",
    "bar_row_from_payload",
    "bar_row_to_dict",
    "create_bar_repository",
]
