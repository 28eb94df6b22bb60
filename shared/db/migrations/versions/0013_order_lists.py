"""orders keep their customer's region and are indexed for the lists

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

``GET /v1/orders`` lists orders newest first, filtered by region among others: the region
was only inside the intake document, so it becomes a column, filled here from that
document for the orders already taken.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1_000


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("region", sa.String(length=64), nullable=False, server_default="")
        )
        batch.create_index("ix_orders_created", ["created_at", "id"], unique=False)
        batch.create_index("ix_orders_region_created", ["region", "created_at"], unique=False)
        batch.create_index("ix_orders_external_id", ["external_id"], unique=False)
    _fill_regions()


def _fill_regions() -> None:
    orders = sa.table(
        "orders", sa.column("id", sa.String), sa.column("intake", sa.JSON),
        sa.column("region", sa.String),
    )  # fmt: skip
    bind = op.get_bind()
    after = ""
    while True:
        rows = bind.execute(
            sa.select(orders.c.id, orders.c.intake)
            .where(orders.c.id > after)
            .order_by(orders.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for order_id, intake in rows:
            region = str(((intake or {}).get("address") or {}).get("region") or "")[:64]
            bind.execute(sa.update(orders).where(orders.c.id == order_id).values(region=region))
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_external_id")
        batch.drop_index("ix_orders_region_created")
        batch.drop_index("ix_orders_created")
        batch.drop_column("region")
