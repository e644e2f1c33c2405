"""Alembic environment of the store's migrations (run programmatically by ``schema.run_migrations``).

The store keeps its own version table, ``alembic_version_store``, so it can share a PostgreSQL database
with the registry (which has its own). On PostgreSQL a transaction-scoped advisory lock serialises
concurrent upgrades from several store replicas starting at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from mdp.store.storage.schema import VERSION_TABLE

_LOCK_KEY = "mdp.store.migrations"


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, version_table=VERSION_TABLE, target_metadata=None)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _LOCK_KEY})
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the store's migrations run through mdp.store.storage.schema.run_migrations")
_run(connection)
