"""Buttons whose action is spent: say why they no longer apply, and take them off the message.

A button stays on its message after its offer closed or its order moved on (another
message, /orders listed earlier, a decline's reasons). Pressing it then must not look like
it worked: an offer's buttons expire when it ends (``buttons.expire_offer``), an order's
step buttons are held against the bot's view of the order (``why_spent``), and ``pruned``
gives the message's keyboard without the rows of an offer or order that is done with, so
each press leaves only buttons that still mean something.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup

from bots.dealer.models import BotOrder
from shared.chat.buttons import button_key
from shared.chat.i18n import Problem
from shared.chat.models import ButtonToken

# Order buttons (subject: the order) and the statuses in which their step still applies.
ORDER_STEPS: dict[str, frozenset[str]] = {
    "ready": frozenset({"accepted"}),
    "pickup_code": frozenset({"accepted", "ready_for_pickup"}),
    "delivered": frozenset({"accepted", "out_for_delivery"}),
}
# Pressing these does their step once: the row goes (what follows comes as a new message).
SPENDS = frozenset({"accept", "decline_reason", "ready", "delivered"})
# Statuses the catalog has a word for (``status.*``); any other reads "moved on".
STATUSES = frozenset(
    {"offered", "accepted", "ready_for_pickup", "out_for_delivery", "completed", "cancelled",
     "returned", "closed"}
)  # fmt: skip


async def why_spent(session: AsyncSession, token: ButtonToken) -> Problem | None:
    """Why an order's step button no longer applies; None if, as we know, it does.

    Offer buttons need no look here: they expire when their offer ends
    (``buttons.expire_offer``), whichever dealer it went to next.
    """
    steps = ORDER_STEPS.get(token.action)
    order = await session.get(BotOrder, token.subject) if steps is not None else None
    if steps is None or order is None:
        return None
    if order.dealer_id != token.dealer_id:  # offered to another store since
        return Problem("button.spent.order", {"ref": order.ref, "status": "closed"})
    if order.status in steps:
        return None
    status = order.status if order.status in STATUSES else "moved"
    return Problem("button.spent.order", {"ref": order.ref, "status": status})


async def subject_of(session: AsyncSession, data: str | None) -> str | None:
    """The offer or order a button is about (to clear a replayed or expired one)."""
    token = await session.get(ButtonToken, button_key(data)) if data else None
    return token.subject if token is not None else None


async def pruned(
    session: AsyncSession,
    markup: InlineKeyboardMarkup | None,
    subject: str,
    replacement: list[list[dict[str, Any]]] | None = None,
) -> dict[str, Any] | None:
    """The keyboard without the rows of ``subject`` (``replacement`` in their place).

    None when nothing changes, so no edit is sent; ``{}`` removes the keyboard.
    """
    rows = [list(row) for row in (markup.inline_keyboard if markup else ())]
    data = {
        button_key(b.callback_data): b.callback_data
        for row in rows for b in row if isinstance(b.callback_data, str)
    }  # fmt: skip
    query = select(ButtonToken).where(col(ButtonToken.id).in_(list(data)))
    about = {data[token.id]: token.subject for token in (await session.exec(query)).all()}
    kept: list[list[dict[str, Any]]] = []
    placed = False
    for row in rows:
        if any(about.get(str(b.callback_data)) == subject for b in row):
            if not placed and replacement:
                kept += replacement
            placed = True
            continue
        kept.append([b.to_dict() for b in row])
    if not placed:
        return None
    return {"inline_keyboard": kept} if kept else {}
