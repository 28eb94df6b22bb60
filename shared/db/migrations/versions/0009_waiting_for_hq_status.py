"""orders that wait for HQ say so in their status column

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Before 0009 an order no dealer could take stayed ``received`` with a ``waiting_for_hq``
flag in its aggregate; it is now a status of its own. The aggregate already loads either
way; this moves the column (which lists and filters read) and the aggregate's own status.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

orders = sa.table(
    "orders",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("aggregate", sa.JSON),
)


def upgrade() -> None:
    connection = op.get_bind()
    received = connection.execute(
        sa.select(orders.c.id, orders.c.aggregate).where(orders.c.status == "received")
    ).all()
    for order_id, aggregate in received:
        if not aggregate.get("waiting_for_hq"):
            continue
        moved = {k: v for k, v in aggregate.items() if k != "waiting_for_hq"}
        moved["status"] = "waiting_for_hq"
        connection.execute(
            orders.update()
            .where(orders.c.id == order_id)
            .values(status="waiting_for_hq", aggregate=moved)
        )


def downgrade() -> None:
    connection = op.get_bind()
    waiting = connection.execute(
        sa.select(orders.c.id, orders.c.aggregate).where(orders.c.status == "waiting_for_hq")
    ).all()
    for order_id, aggregate in waiting:
        back = {**aggregate, "status": "received", "waiting_for_hq": True}
        connection.execute(
            orders.update().where(orders.c.id == order_id).values(status="received", aggregate=back)
        )
