"""invitation codes and button tokens are kept as hashes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A copy of the database should invite no one and press no button: the invites table keeps
the SHA-256 of each code (``code_hash``), the button tokens table the SHA-256 of each
button's callback data (``id``). Rows already there are hashed in place, so invitations
and buttons already given out keep working.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _invite_key(code: str) -> str:  # shared.chat.identity.invite_key, as of this migration
    return hashlib.sha256(b"baton invite\0" + code.strip().upper().encode()).hexdigest()


def _button_key(data: str) -> str:  # shared.chat.buttons.button_key, as of this migration
    return hashlib.sha256(b"baton button\0" + data.encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.alter_column(
            "code", new_column_name="code_hash", type_=sa.String(64),
            existing_type=sa.String(32), existing_nullable=False,
        )  # fmt: skip
    with op.batch_alter_table("button_tokens") as batch:
        batch.alter_column(
            "id", type_=sa.String(64), existing_type=sa.String(16), existing_nullable=False
        )
    connection = op.get_bind()
    invites = sa.table("invites", sa.column("code_hash", sa.String))
    for (code,) in connection.execute(sa.select(invites.c.code_hash)).all():
        connection.execute(
            invites.update().where(invites.c.code_hash == code).values(code_hash=_invite_key(code))
        )
    buttons = sa.table("button_tokens", sa.column("id", sa.String))
    for (data,) in connection.execute(sa.select(buttons.c.id)).all():
        connection.execute(
            buttons.update().where(buttons.c.id == data).values(id=_button_key(data))
        )


def downgrade() -> None:
    raise NotImplementedError("hashes cannot be turned back into codes")
