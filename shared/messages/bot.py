"""Messages the dealer bot sends itself (through durable timers)."""

from __future__ import annotations

from shared.messages.envelope import Message
from shared.messages.registry import message


@message("bot.RemindOffer", stream="bot")
class RemindOffer(Message):
    """An offer is about to run out: remind the dealer if it is still unanswered."""

    order_id: str
    offer_id: str
    dealer_id: str
