"""Create the bars table (natural key symbol, ts, timeframe).

Revision ID: 0001
Revises:
Create Date: 2025-10-17

Frozen copy of the schema at this revision (migrations never import the live model); see
``mdp.store.storage.schema`` for why each type and the key order were chosen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_KEY_TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
_TS = (
    sa.BigInteger()
    .with_variant(sqlite.INTEGER(), "sqlite")
    .with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
)
_DOUBLE: sa.types.TypeEngine[float] = sa.Double().with_variant(sqlite.REAL(), "sqlite")
_BIGINT = sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bars",
        sa.Column("symbol", _KEY_TEXT, nullable=False),
        sa.Column("timeframe", _KEY_TEXT, nullable=False),
        sa.Column("ts", _TS, nullable=False),
        sa.Column("open", _DOUBLE, nullable=False),
        sa.Column("high", _DOUBLE, nullable=False),
        sa.Column("low", _DOUBLE, nullable=False),
        sa.Column("close", _DOUBLE, nullable=False),
        sa.Column("volume", _DOUBLE, nullable=False),
        sa.Column("vwap", _DOUBLE, nullable=True),
        sa.Column("trade_count", _BIGINT, nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("symbol", "ts", "timeframe", name="bars_pkey"),
        sqlite_with_rowid=False,
        sqlite_strict=True,
    )


def downgrade() -> None:
    op.drop_table("bars")
