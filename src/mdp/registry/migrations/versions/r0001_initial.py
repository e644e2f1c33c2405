"""Initial registry schema: tracks, schemas, subjects, versions, outbox; tracks v1 and v2.

Revision ID: r0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "r0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    tracks = op.create_table(
        "registry_tracks",
        sa.Column("track", sa.String(8), nullable=False),
        sa.Column("compatibility", sa.String(32), nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("track", name="pk_registry_tracks"),
    )
    op.create_table(
        "registry_schemas",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_schemas"),
        sa.UniqueConstraint("sha256", name="uq_registry_schemas_sha256"),
    )
    op.create_table(
        "registry_subjects",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("track", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("deprecated_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_subjects"),
        sa.ForeignKeyConstraint(
            ["track"], ["registry_tracks.track"], name="fk_registry_subjects_track_registry_tracks"
        ),
        sa.UniqueConstraint("track", "name", name="uq_registry_subjects_track_name"),
    )
    op.create_table(
        "registry_versions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("schema_id", sa.BigInteger(), nullable=False),
        sa.Column("classification", sa.String(16), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("deleted_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_registry_versions"),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["registry_subjects.id"], name="fk_registry_versions_subject_id_registry_subjects"
        ),
        sa.ForeignKeyConstraint(
            ["schema_id"], ["registry_schemas.id"], name="fk_registry_versions_schema_id_registry_schemas"
        ),
        sa.UniqueConstraint("subject_id", "version", name="uq_registry_versions_subject_id_version"),
        sa.UniqueConstraint("subject_id", "seq", name="uq_registry_versions_subject_id_seq"),
    )
    op.create_index("ix_registry_versions_schema_id", "registry_versions", ["schema_id"])
    op.create_table(
        "registry_outbox",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("track", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_outbox"),
    )
    op.create_index("ix_registry_outbox_track_id", "registry_outbox", ["track", "id"])
    # v1 is the stable track: FULL_TRANSITIVE so every reader and writer of every version keeps working,
    # LENIENT because the bundled contracts are closed content models (see docs/registry.md).
    # v2 is the preview track where breaking changes are rehearsed: NONE.
    now = datetime.now(UTC)
    op.bulk_insert(
        tracks,
        [
            {"track": "v1", "compatibility": "FULL_TRANSITIVE", "policy": "LENIENT", "revision": 0,
             "created_at": now, "updated_at": now},
            {"track": "v2", "compatibility": "NONE", "policy": "LENIENT", "revision": 0,
             "created_at": now, "updated_at": now},
        ],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("registry_outbox")
    op.drop_table("registry_versions")
    op.drop_table("registry_subjects")
    op.drop_table("registry_schemas")
    op.drop_table("registry_tracks")
