"""How a broadcast is going: its messages' states in the chat outbox, and acknowledgements.

The counts come from the chat outbox itself (``chat_messages``, one row per recipient
chat), joined through each recipient's message key, so they are what the sender did:

* ``audience``: chats it goes to (counted at the start; exact once all are queued)
* ``queued``: not yet answered by Telegram (waiting in the outbox, or not put there yet)
* ``sent``: the sender is done with them: ``delivered + failed + blocked``
* ``delivered``: Telegram answered ok
* ``failed``: given up after retries, or refused by Telegram (e.g. chat not found)
* ``blocked``: the dealer blocked the bot
* ``acknowledged``: recipient chats that pressed Acknowledge (``acknowledged_dealers``:
  their stores)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts.models import QUEUING, Broadcast, BroadcastRecipient
from shared.chat.models import BLOCKED, FAILED, PENDING, SENT, ChatMessage

RECENT = 5  # broadcasts /stats shows


async def counts(session: AsyncSession, broadcast: Broadcast) -> dict[str, int]:
    """The delivery and acknowledgement counts of ``broadcast``."""
    states = (
        select(ChatMessage.state, func.count())
        .join(BroadcastRecipient, col(BroadcastRecipient.message_key) == col(ChatMessage.key))
        .where(col(BroadcastRecipient.broadcast_id) == broadcast.id)
        .group_by(col(ChatMessage.state))
    )
    by_state: dict[str, int] = dict((await session.exec(states)).all())
    acks = select(func.count(), func.count(func.distinct(col(BroadcastRecipient.dealer_id)))).where(
        col(BroadcastRecipient.broadcast_id) == broadcast.id,
        col(BroadcastRecipient.acked_at).is_not(None),
    )
    acknowledged, dealers = (await session.exec(acks)).one()
    delivered, failed, blocked = (by_state.get(s, 0) for s in (SENT, FAILED, BLOCKED))
    pending = sum(by_state.get(s, 0) for s in PENDING)
    if broadcast.state == QUEUING:
        pending += max(broadcast.audience - broadcast.queued, 0)
    return {
        "audience": broadcast.audience, "queued": pending,
        "sent": delivered + failed + blocked, "delivered": delivered, "failed": failed,
        "blocked": blocked, "acknowledged": int(acknowledged),
        "acknowledged_dealers": int(dealers),
    }  # fmt: skip


def summary(broadcast: Broadcast, numbers: dict[str, int]) -> dict[str, Any]:
    """A broadcast as the HTTP API shows it."""
    return {
        "id": broadcast.id, "kind": broadcast.kind, "region": broadcast.region,
        "state": broadcast.state, "requires_ack": broadcast.requires_ack,
        "created_by": broadcast.created_by, "created_at": broadcast.created_at.isoformat(),
        "reminded_at": broadcast.reminded_at.isoformat() if broadcast.reminded_at else None,
        "params": broadcast.params, **numbers,
    }  # fmt: skip


async def recent(session: AsyncSession, limit: int = RECENT) -> list[Broadcast]:
    """The newest broadcasts that were sent (drafts and cancelled ones left out)."""
    query = (
        select(Broadcast)
        .where(col(Broadcast.started_at).is_not(None))
        .order_by(col(Broadcast.started_at).desc(), col(Broadcast.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())
