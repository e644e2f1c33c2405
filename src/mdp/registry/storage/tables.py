"""SQLAlchemy Core tables of the SQL schema storage (SQLite and PostgreSQL).

Every table is prefixed ``registry_`` and alembic records its revision in ``alembic_version_registry``, so
the registry can share one database with the bar store. The migrations under
``mdp/registry/migrations/versions`` create exactly these tables; this module is what the adapter queries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

VERSION_TABLE = "alembic_version_registry"

# Deterministic constraint names, so later migrations can alter them on both dialects.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
Id = BigInteger().with_variant(Integer(), "sqlite")
Payload = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both dialects (SQLite keeps naive text, so UTC is re-attached on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the registry storage; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


tracks = Table(
    "registry_tracks",
    metadata,
    Column("track", String(8), primary_key=True),
    Column("compatibility", String(32), nullable=False),
    Column("policy", String(16), nullable=False),
    Column("revision", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

schemas = Table(
    "registry_schemas",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("canonical", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

subjects = Table(
    "registry_subjects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("track", String(8), ForeignKey("registry_tracks.track"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("state", String(16), nullable=False),
    Column("deprecated_reason", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("track", "name"),
)

versions = Table(
    "registry_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subject_id", BigInteger, ForeignKey("registry_subjects.id"), nullable=False),
    Column("version", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("schema_id", BigInteger, ForeignKey("registry_schemas.id"), nullable=False),
    Column("classification", String(16), nullable=False),
    Column("forced", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=True),
    # The backstop against two concurrent publishes choosing the same number.
    UniqueConstraint("subject_id", "version"),
    UniqueConstraint("subject_id", "seq"),
    Index(None, "schema_id"),
)

outbox = Table(
    "registry_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("type", String(32), nullable=False),
    Column("track", String(8), nullable=False),
    Column("name", String(200), nullable=False),
    Column("payload", Payload, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "track", "id"),
)


__all__ = ["VERSION_TABLE", "UtcDateTime", "metadata", "outbox", "schemas", "subjects", "tracks", "versions"]
