"""Routing an order and opening its offer round once the stock service has answered.

Routing (``dispatch``) makes one offer row per dealer of a round, each ``reserving`` its
stock; each answer marks its row ``reserved`` or ``unavailable``, and the last answer of
the round opens it to the dealers that have the stock, or routes the order again.
"""

from __future__ import annotations

from redis.asyncio import Redis

from services.orders.dispatch import Routing, dispatch
from services.orders.domain.offer_state import OfferState
from services.orders.domain.status import UNASSIGNED
from services.orders.models import OfferRow
from services.orders.repository import Loaded, load_order, save_offer
from services.orders.rounds import offer_lines, round_id, round_of_request, timer_key
from shared.bus.handling import Context
from shared.db.uow import UnitOfWork
from shared.messages.orders import OfferDeadline, OfferLine, OrderOffered, RouteOrder
from shared.messages.stock import ReleaseReservation, StockReserved, StockUnavailable


async def route_order(msg: RouteOrder, ctx: Context, redis: Redis, routing: Routing) -> None:
    """Route an order no dealer holds; nothing while a round of it is under way."""
    loaded = await load_order(ctx.uow.session, msg.order_id)
    if loaded is not None:
        await dispatch(ctx.uow, redis, loaded, routing)


async def stock_reserved(msg: StockReserved, ctx: Context, redis: Redis, routing: Routing) -> None:
    """A dealer of a round holds the stock: open the round if it was the last answer."""
    await _reservation_answered(ctx.uow, redis, routing, msg.request_id, reserved=True)


async def stock_unavailable(
    msg: StockUnavailable, ctx: Context, redis: Redis, routing: Routing
) -> None:
    """A dealer of a round lacks the stock: open the round (or route again) if it was the last."""
    await _reservation_answered(ctx.uow, redis, routing, msg.request_id, reserved=False)


async def _reservation_answered(
    uow: UnitOfWork, redis: Redis, routing: Routing, request_id: str, *, reserved: bool
) -> None:
    offer, in_round = await round_of_request(uow, request_id)
    if offer is None or offer.state != OfferState.RESERVING:
        return  # a repeated answer, or one for a round that has moved on
    loaded = await load_order(uow.session, offer.order_id)
    assert loaded is not None
    state = OfferState.RESERVED if reserved else OfferState.UNAVAILABLE
    await save_offer(uow, offer, state=state)
    if loaded.order.status not in UNASSIGNED:  # cancelled meanwhile
        if reserved:
            uow.emit(ReleaseReservation(request_id=request_id, reason="order_not_waiting"))
        return
    if any(o.state == OfferState.RESERVING for o in in_round):
        return  # a grab round waits for every dealer's stock answer
    ready = [o for o in in_round if o.state == OfferState.RESERVED]
    if ready:
        await _open_round(uow, loaded, ready, routing)
    else:
        await dispatch(uow, redis, loaded, routing)


async def _open_round(
    uow: UnitOfWork, loaded: Loaded, offers: list[OfferRow], routing: Routing
) -> None:
    # Offer the order to the round's dealers that hold the stock. Their time to answer
    # starts now, not when the order was routed: under a backlog the stock's answer can
    # come later than a whole offer window after routing (and the round must still open).
    order, now = loaded.order, uow.clock.now()
    attempt, deadline = offers[0].attempt, now + routing.offer_timeout
    rid = round_id(order.id, attempt)
    dealers = [o.dealer_id for o in offers]
    if len(offers) == 1:
        order.offer(dealers[0], rid, deadline, now, "system")
    else:
        order.broadcast(dealers, rid, deadline, now, "system")
    await loaded.save(uow)
    await uow.set_timer(
        timer_key(order.id, attempt), deadline, OfferDeadline(order_id=order.id, offer_id=rid)
    )
    lines = await offer_lines(uow, loaded)
    for offer in offers:
        await save_offer(uow, offer, state=OfferState.OFFERED, offered_at=now, deadline=deadline)
        uow.emit(_offered(loaded, offer, lines))


def _offered(loaded: Loaded, offer: OfferRow, lines: list[OfferLine]) -> OrderOffered:
    # What the dealer's chat shows of an offer: the lines, how, and where the customer is.
    intake = loaded.intake
    return OrderOffered(
        order_id=loaded.order.id, offer_id=offer.id, dealer_id=offer.dealer_id,
        lines=lines, fulfilment=loaded.order.fulfilment.value,
        needs_installation=intake.needs_installation, distance_km=offer.distance_km,
        district=intake.district, deadline=offer.deadline, city=intake.address.city,
        region=intake.address.region,
    )  # fmt: skip
