"""console sign-in links and sessions (hashes of their secrets only); open offers by deadline

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

An HQ or finance member signs in to the console with a one-time link from chat; the
browser then holds a session cookie. Baton keeps the SHA-256 of each, never the secret.
The console's overview lists the open offers soonest to expire first: an index for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_links",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", shared.db.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", shared.db.types.UTCDateTime(), nullable=True),
    )
    op.create_table(
        "console_sessions",
        sa.Column("secret_hash", sa.String(length=64), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", shared.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", shared.db.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", shared.db.types.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_console_sessions_user", "console_sessions", ["user_id"])
    op.create_index("ix_offers_state_deadline", "offers", ["state", "deadline", "id"])


def downgrade() -> None:
    op.drop_index("ix_offers_state_deadline", table_name="offers")
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_links")
