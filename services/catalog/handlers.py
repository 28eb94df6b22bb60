"""Catalog changes that arrive as messages (a dealer pausing offers from chat)."""

from __future__ import annotations

from services.catalog.models import Dealer
from shared.bus.handling import Context
from shared.messages.orders import SetDealerPaused


async def set_dealer_paused(msg: SetDealerPaused, ctx: Context) -> None:
    """Stop or restart new offers to a dealer; routing skips paused dealers."""
    dealer = await ctx.uow.session.get(Dealer, msg.dealer_id, with_for_update=True)
    if dealer is None or dealer.paused == msg.paused:
        return
    dealer.paused = msg.paused
    dealer.updated_at = ctx.clock.now()
    ctx.uow.session.add(dealer)
