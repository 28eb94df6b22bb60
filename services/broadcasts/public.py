"""Broadcasts' public face: HQ's notices, floors and promotions to the dealers' chats.

Others make a broadcast (``start_broadcast``, or a draft with ``create`` then ``launch``),
preview one without making it (``preview``), see its audience and counts, take an
Acknowledge press, and run the chunked fan-out and the acknowledgement reminders in the
bot's process.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts.acks import acknowledge, schedule_reminders
from services.broadcasts.fanout import ACK, HANDLERS, audience_size, create, launch, start_broadcast
from services.broadcasts.models import CANCELLED, DRAFT, Broadcast
from services.broadcasts.preview import Preview, floor_warnings, preview
from services.broadcasts.render import MAX_TEXT, body, when
from services.broadcasts.stats import counts, recent

__all__ = [
    "ACK",
    "CANCELLED",
    "DRAFT",
    "HANDLERS",
    "MAX_TEXT",
    "Broadcast",
    "Preview",
    "acknowledge",
    "audience_size",
    "body",
    "counts",
    "create",
    "draft",
    "floor_warnings",
    "launch",
    "preview",
    "recent",
    "schedule_reminders",
    "start_broadcast",
    "when",
]


async def draft(session: AsyncSession, broadcast_id: str) -> Broadcast | None:
    """A broadcast, row-locked for this transaction (HQ is sending or cancelling its draft)."""
    return await session.get(Broadcast, broadcast_id, with_for_update=True)
