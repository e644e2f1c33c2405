"""Alembic migrations of the registry's SQL storage, shipped in the package and run programmatically.

No ``alembic.ini`` is needed at runtime: :func:`upgrade` builds the alembic ``Config`` in code and hands
it an open connection. The version table is ``alembic_version_registry`` so the registry can share a
database with the bar store (which keeps its own version table).

To write a new revision (developers only)::

    uv run python -c "from mdp.registry.migrations import new_revision; new_revision('add a column')"
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

SCRIPT_LOCATION = "mdp.registry:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic ``Config`` for the registry migrations, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the database behind ``connection`` to ``revision`` (inside the caller's transaction)."""
    command.upgrade(alembic_config(connection), revision)


def new_revision(message: str) -> None:  # pragma: no cover - a developer tool
    """Create an empty revision file under ``versions/``."""
    command.revision(alembic_config(), message=message)


__all__ = ["SCRIPT_LOCATION", "alembic_config", "new_revision", "upgrade"]
