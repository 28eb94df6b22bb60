"""Cancelling before handover and returning after it."""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from services.orders import sales
from services.orders.domain.offer_state import HOLDING, OfferState
from services.orders.models import OfferRow
from services.orders.repository import Loaded, save_offer
from services.orders.rounds import closed, timer_key
from services.pricing.public import recorded_units, release_units
from shared.db.uow import UnitOfWork
from shared.messages.stock import ReleaseReservation, Restock, StockLine


async def cancel(uow: UnitOfWork, loaded: Loaded, reason: str, actor: str) -> None:
    """Cancel the order (IllegalTransition after handover) and free what it holds."""
    order = loaded.order
    order.cancel(reason, uow.clock.now(), actor)
    await loaded.save(uow)
    await sales.voided(uow, loaded, reason)  # only if a dealer had accepted it
    # The promotional units it took go back to their caps.
    await release_units(uow.session, recorded_units(loaded.intake.pricing))
    offers = (
        await uow.session.exec(
            select(OfferRow)
            .where(col(OfferRow.order_id) == order.id, col(OfferRow.state).in_(HOLDING))
            .with_for_update()
        )
    ).all()
    for offer in offers:
        await uow.cancel_timer(timer_key(order.id, offer.attempt))
        uow.emit(ReleaseReservation(request_id=offer.request_id, reason="cancelled"))
        if offer.state == OfferState.OFFERED:
            uow.emit(closed(offer, OfferState.CANCELLED))
        await save_offer(uow, offer, state=OfferState.CANCELLED, answered_at=uow.clock.now())


async def return_lines(uow: UnitOfWork, loaded: Loaded, lines: dict[str, int], actor: str) -> None:
    """Record returned units (IllegalTransition if not returnable), restock and refund them."""
    order = loaded.order
    order.return_lines(lines, uow.clock.now(), actor)
    await loaded.save(uow)
    return_id = f"rt_{uuid.uuid4().hex[:20]}"
    await sales.returned(uow, loaded, return_id, dict(lines))
    await release_units(uow.session, recorded_units(loaded.intake.pricing, dict(lines)))
    if order.fulfilling_dealer_id is not None:
        uow.emit(
            Restock(
                request_id=return_id,
                order_id=order.id,
                dealer_id=order.fulfilling_dealer_id,
                lines=[StockLine(sku=sku, qty=qty) for sku, qty in lines.items()],
            )
        )
