"""settlement ledger

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import shared.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("posted_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_transactions_at", ["at"], unique=False)
        batch_op.create_index("ix_ledger_transactions_order", ["order_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("share", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["transaction_id"], ["ledger_transactions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_account", ["account"], unique=False)
        batch_op.create_index("ix_ledger_entries_dealer", ["dealer_id", "bucket"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "settlement_orders",
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("payment", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column(
            "fulfilling_dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "originating_dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("fulfilled_by_hq", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("returned", sa.JSON(), nullable=False),
        sa.Column("accepted_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handed_over_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("available_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("voided_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    with op.batch_alter_table("settlement_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlement_orders_fulfilling_dealer_id"),
            ["fulfilling_dealer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_settlement_orders_originating_dealer_id"),
            ["originating_dealer_id"],
            unique=False,
        )

    op.create_table(
        "settlement_periods",
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("starts_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", shared.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", shared.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("period"),
    )

    op.create_table(
        "payout_lines",
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("cash_owed", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("carried", sa.BigInteger(), nullable=False),
        sa.Column("transaction_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("period", "dealer_id", "currency"),
    )


def downgrade() -> None:
    op.drop_table("payout_lines")
    op.drop_table("settlement_periods")
    with op.batch_alter_table("settlement_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_orders_originating_dealer_id"))
        batch_op.drop_index(batch_op.f("ix_settlement_orders_fulfilling_dealer_id"))

    op.drop_table("settlement_orders")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_transaction_id"))
        batch_op.drop_index("ix_ledger_entries_dealer")
        batch_op.drop_index("ix_ledger_entries_account")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_transactions_order")
        batch_op.drop_index("ix_ledger_transactions_at")

    op.drop_table("ledger_transactions")
