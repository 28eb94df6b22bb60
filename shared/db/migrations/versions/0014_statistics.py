"""the statistics service's counts of orders by hour and day and of dealers' offers by day

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

Kept summaries for HQ's console and ``GET /v1/stats/*``: the statistics service adds each
order event to them as it arrives, so an aggregate reads a few hundred rows, not a million
orders.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEALER_COUNTERS = (
    "offers", "accepted", "declined_out_of_stock", "declined_too_busy",
    "declined_cannot_deliver", "declined_other", "expired", "withdrawn", "pickups_locked",
    "returns", "accepted_within_15s", "accepted_within_30s", "accepted_within_60s",
    "accepted_within_120s", "accepted_within_300s", "accepted_within_600s",
    "accepted_within_1800s", "accepted_later",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "stats_order_hours",
        sa.Column("hour", shared.db.types.UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "channel", "status", "currency"),
    )
    op.create_index("ix_stats_order_hours_status", "stats_order_hours", ["status", "hour"])
    op.create_table(
        "stats_order_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "region", "status", "currency"),
    )
    op.create_table(
        "stats_dealer_days",
        sa.Column("dealer_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _DEALER_COUNTERS),
        sa.PrimaryKeyConstraint("dealer_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("stats_dealer_days")
    op.drop_table("stats_order_days")
    op.drop_index("ix_stats_order_hours_status", table_name="stats_order_hours")
    op.drop_table("stats_order_hours")
