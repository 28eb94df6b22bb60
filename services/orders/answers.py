"""How an offer round ends: a dealer accepts or declines, or the deadline passes.

The dealer's id on the answer is checked again here (the bot checked the binding): an
answer for another dealer's offer, or with a made-up offer id, changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from services.orders import sales
from services.orders.dispatch import Routing, dispatch
from services.orders.domain.offer_state import OfferState
from services.orders.domain.order import IllegalTransition
from services.orders.domain.status import OrderStatus
from services.orders.models import OfferRow
from services.orders.repository import Loaded, load_order, offer_by_id
from services.orders.rounds import (
    attempt_of,
    close,
    closed,
    offer_lines,
    round_id,
    round_offers,
    timer_key,
)
from shared.bus.handling import Context
from shared.db.uow import UnitOfWork
from shared.messages.orders import AcceptOffer, DeclineOffer, OfferDeadline, OrderAccepted
from shared.messages.stock import HoldReservation, ReportStock, StockCount


async def offer_deadline(msg: OfferDeadline, ctx: Context, redis: Redis, routing: Routing) -> None:
    """The round's deadline passed unanswered: close its offers and route the order again."""
    loaded = await load_order(ctx.uow.session, msg.order_id)
    current = loaded.order.current_offer if loaded else None
    if loaded is None or current is None or current.offer_id != msg.offer_id:
        return  # answered, cancelled or re-offered since: the timer is stale
    loaded.order.expire(msg.offer_id, max(ctx.clock.now(), current.deadline), "system")
    await loaded.save(ctx.uow)
    for offer in await round_offers(ctx.uow, msg.order_id, attempt_of(msg.offer_id)):
        if offer.state == OfferState.OFFERED:
            await close(ctx.uow, offer, OfferState.EXPIRED)
    await dispatch(ctx.uow, redis, loaded, routing)


async def accept_offer(msg: AcceptOffer, ctx: Context) -> None:
    """The dealer takes the order: hold its stock, close the round's other offers, tell them."""
    uow, now = ctx.uow, ctx.clock.now()
    offer = await offer_by_id(uow.session, msg.offer_id)
    if offer is None or msg.actor.dealer_id != offer.dealer_id:
        return  # the bot checked the binding; a forged id is refused there and here
    loaded = await load_order(uow.session, offer.order_id)
    assert loaded is not None
    try:
        _assign(loaded, offer, now, msg.actor.id)
    except IllegalTransition:
        if offer.state != OfferState.OFFERED:  # answered before: say how it ended
            uow.emit(closed(offer, offer.state))
        return  # still offered: e.g. past its deadline, the timer not yet fired
    await loaded.save(uow)
    await sales.accepted(uow, loaded)
    await uow.cancel_timer(timer_key(loaded.order.id, offer.attempt))
    await close(uow, offer, OfferState.ACCEPTED, release=False)
    uow.emit(HoldReservation(request_id=offer.request_id, expires_at=None))
    for other in await round_offers(uow, loaded.order.id, offer.attempt):
        if other.id != offer.id and other.state == OfferState.OFFERED:
            await close(uow, other, OfferState.TAKEN)
    uow.emit(await _accepted(uow, loaded, offer))


async def decline_offer(msg: DeclineOffer, ctx: Context, redis: Redis, routing: Routing) -> None:
    """The dealer declines: free its stock (out of stock: count it as zero), route again."""
    uow, now = ctx.uow, ctx.clock.now()
    offer = await offer_by_id(uow.session, msg.offer_id)
    if offer is None or msg.actor.dealer_id != offer.dealer_id or offer.state != OfferState.OFFERED:
        return  # not theirs, or answered, expired or taken since
    loaded = await load_order(uow.session, offer.order_id)
    assert loaded is not None
    order = loaded.order
    order.decline(offer.dealer_id, round_id(order.id, offer.attempt), now, msg.actor.id, msg.reason)
    await loaded.save(uow)
    await close(uow, offer, OfferState.DECLINED, decline_reason=msg.reason)
    if msg.reason == "out_of_stock":
        counts = [StockCount(sku=ln.sku, on_hand=0) for ln in order.lines]
        uow.emit(ReportStock(dealer_id=offer.dealer_id, counts=counts, source="decline",
                             reported_by=msg.actor.id))  # fmt: skip
    if order.status == OrderStatus.RECEIVED:  # nobody left on the round
        await uow.cancel_timer(timer_key(order.id, offer.attempt))
        await dispatch(uow, redis, loaded, routing)


def _assign(loaded: Loaded, offer: OfferRow, now: datetime, actor: str) -> None:
    # Accept a sequential offer, take a grab one; IllegalTransition changes nothing.
    order = loaded.order
    rid = round_id(order.id, offer.attempt)
    if order.current_offer is not None and order.current_offer.grab:
        order.taken(offer.dealer_id, rid, now, actor)
    else:
        order.accept(offer.dealer_id, rid, now, actor)


async def _accepted(uow: UnitOfWork, loaded: Loaded, offer: OfferRow) -> OrderAccepted:
    # What the accepting dealer's chat needs to hand the order over.
    intake = loaded.intake
    return OrderAccepted(
        order_id=loaded.order.id, dealer_id=offer.dealer_id,
        customer_name=intake.customer.name, customer_phone=intake.customer.phone,
        address=intake.street_address, fulfilment=loaded.order.fulfilment.value,
        lines=await offer_lines(uow, loaded),
    )  # fmt: skip
