"""orders remember when their customer's details were cleared

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

Customers' names, phones and streets are cleared from an order's intake a retention after
the order ends (``services.orders.retention``); ``customer_cleared_at`` says when, and the
index finds the orders still to clear without reading the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("customer_cleared_at", shared.db.types.UTCDateTime(), nullable=True)
        )
        batch.create_index(
            "ix_orders_retention", ["customer_cleared_at", "status", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_retention")
        batch.drop_column("customer_cleared_at")
