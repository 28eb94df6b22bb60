"""dealer bot: chat users, invites, button tokens, order view

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_orders",
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("fulfilment", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("offer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("deadline", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("customer", sa.JSON(), nullable=False),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("bot_orders", schema=None) as batch_op:
        batch_op.create_index("ix_bot_orders_dealer_status", ["dealer_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_bot_orders_ref"), ["ref"], unique=False)

    op.create_table(
        "button_tokens",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("roles", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("arg", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("expires_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "chat_users",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("bound_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("chat_users", schema=None) as batch_op:
        batch_op.create_index("ix_chat_users_dealer", ["dealer_id", "active"], unique=False)

    op.create_table(
        "invites",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("invites")
    with op.batch_alter_table("chat_users", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_users_dealer")

    op.drop_table("chat_users")
    op.drop_table("button_tokens")
    with op.batch_alter_table("bot_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_orders_ref"))
        batch_op.drop_index("ix_bot_orders_dealer_status")

    op.drop_table("bot_orders")
