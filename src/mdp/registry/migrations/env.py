"""Alembic environment of the registry: online only, on the connection :func:`upgrade` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mdp.registry.storage.tables import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("registry migrations run through mdp.registry.migrations.upgrade(connection)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things; batch mode lets later revisions alter tables on both dialects.
    render_as_batch=True,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
