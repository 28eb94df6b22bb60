"""broadcasts and acknowledgements

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(), nullable=False),
        sa.Column("requires_ack", sa.Boolean(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("audience", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=True),
        sa.Column("started_at", shared.db.types.UTCDateTime(), nullable=True),
        sa.Column("remind_cursor", sa.BigInteger(), nullable=True),
        sa.Column("reminded_at", shared.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_broadcasts_state", "broadcasts", ["state"], unique=False)
    op.create_index(op.f("ix_broadcasts_created_at"), "broadcasts", ["created_at"], unique=False)
    op.create_table(
        "broadcast_recipients",
        sa.Column("broadcast_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("message_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("acked_at", shared.db.types.UTCDateTime(), nullable=True),
        sa.Column("acked_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("broadcast_id", "chat_id"),
    )
    op.create_index(
        "ix_broadcast_recipients_dealer",
        "broadcast_recipients",
        ["broadcast_id", "dealer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_broadcast_recipients_dealer", table_name="broadcast_recipients")
    op.drop_table("broadcast_recipients")
    op.drop_index(op.f("ix_broadcasts_created_at"), table_name="broadcasts")
    op.drop_index("ix_broadcasts_state", table_name="broadcasts")
    op.drop_table("broadcasts")
