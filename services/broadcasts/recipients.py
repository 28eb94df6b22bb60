"""Each chat a broadcast was queued for, where its message stands, and its acknowledgement.

What HQ needs to chase the stores that have not acknowledged a floor or a promotion: a
recipient's ``state`` is ``acknowledged`` once someone in the chat pressed Acknowledge,
else its message's state in the chat outbox (``queued`` while the sender still owes
Telegram the request, ``sent``, ``failed``, ``blocked``) — the same rows the broadcast's
counts are made of (``stats.counts``). A recipient is named by its chat, its dealer and
the chat user it was queued for, by id only: the audit log names people so too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts.models import BroadcastRecipient
from shared.chat.models import BLOCKED, FAILED, PENDING, SENT, ChatMessage

ACKNOWLEDGED, QUEUED, UNACKNOWLEDGED = "acknowledged", "queued", "unacknowledged"
STATES = (QUEUED, SENT, FAILED, BLOCKED, ACKNOWLEDGED)
# What a list of recipients can be narrowed to: a state, or those told but not acknowledged.
FILTERS = (*STATES, UNACKNOWLEDGED)


@dataclass(frozen=True)
class Recipient:
    """One recipient chat of a broadcast."""

    chat_id: int
    user_id: int  # the chat user it was queued for
    dealer_id: str
    language: str  # the language its text was in
    state: str  # one of STATES
    sent_at: datetime | None  # when Telegram took it
    acknowledged_at: datetime | None
    acknowledged_by: int | None  # the chat user who pressed Acknowledge


_RECIPIENTS: Table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
_MESSAGES: Table = ChatMessage.__table__  # type: ignore[attr-defined]


def _narrowed(state: str) -> list[Any]:
    """The conditions of the recipients in ``state`` (one of FILTERS)."""
    acked, message = _RECIPIENTS.c.acked_at, _MESSAGES.c.state
    if state == ACKNOWLEDGED:
        return [acked.is_not(None)]
    if state == QUEUED:
        return [acked.is_(None), message.in_(PENDING)]
    # ``unacknowledged``: told (Telegram took the message) and not acknowledged.
    return [acked.is_(None), message == (SENT if state == UNACKNOWLEDGED else state)]


async def recipients(
    session: AsyncSession,
    broadcast_id: str,
    *,
    state: str | None,
    limit: int,
    after: int | None = None,
) -> list[Recipient]:
    """Up to ``limit`` recipients of a broadcast in ``state`` (one of FILTERS; None: all),
    by chat id, after the chat ``after``."""
    r, m = _RECIPIENTS.c, _MESSAGES.c
    columns = (r.chat_id, r.user_id, r.dealer_id, r.language, m.state.label("message_state"),
               m.sent_at, r.acked_at, r.acked_by)  # fmt: skip
    query = (
        select(*columns)
        .join_from(_RECIPIENTS, _MESSAGES, m.key == r.message_key)
        .where(r.broadcast_id == broadcast_id)
        .order_by(r.chat_id)
        .limit(limit)
    )
    if state is not None:
        query = query.where(*_narrowed(state))
    if after is not None:
        query = query.where(r.chat_id > after)
    connection = await session.connection()
    return [_recipient(row._mapping) for row in await connection.execute(query)]


def _recipient(row: Any) -> Recipient:
    acked_at = row["acked_at"]
    state = row["message_state"]
    if acked_at is not None:
        state = ACKNOWLEDGED
    elif state in PENDING:
        state = QUEUED
    return Recipient(
        chat_id=row["chat_id"], user_id=row["user_id"], dealer_id=row["dealer_id"],
        language=row["language"], state=state, sent_at=row["sent_at"], acknowledged_at=acked_at,
        acknowledged_by=row["acked_by"],
    )  # fmt: skip
