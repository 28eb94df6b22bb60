"""Routing an order and opening its offer round once the stock service has answered.

Routing (``dispatch``) makes one offer row per dealer of a round, each ``reserving`` its
stock; each answer marks its row ``reserved`` or ``unavailable``, and the last answer of
the round opens it to the dealers that have the stock, or routes the order again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from services.orders.dispatch import Routing, dispatch
from services.orders.domain.offer_state import OfferState
from services.orders.domain.status import UNASSIGNED
from services.orders.models import OfferRow
from services.orders.repository import Loaded, Staged, load_order, load_orders
from services.orders.rounds import offer_lines, round_id, rounds_of_requests, timer_key
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


async def stock_reserved_batch(
    items: Sequence[tuple[StockReserved, Context]], redis: Redis, routing: Routing
) -> None:
    """``stock_reserved`` for a run of answers in a batch, with the effect of one after the
    other: the rounds of them all read (locked) in one query, their orders in one, and the
    offers and orders they change written with one statement for each kind of change."""
    uow = items[0][1].uow
    rounds = await rounds_of_requests(uow, [msg.request_id for msg, _ in items])
    orders = await load_orders(uow.session, [offer.order_id for offer, _ in rounds.values()])
    staged = Staged()
    for msg, ctx in items:
        uow.caused_by = ctx.envelope
        if msg.request_id in rounds:
            offer, in_round = rounds[msg.request_id]
            answer = Answer(offer, in_round, orders[offer.order_id], reserved=True)
            await _answered(uow, redis, routing, staged, answer)
    await staged.write(uow)


async def stock_unavailable(
    msg: StockUnavailable, ctx: Context, redis: Redis, routing: Routing
) -> None:
    """A dealer of a round lacks the stock: open the round (or route again) if it was the last."""
    await _reservation_answered(ctx.uow, redis, routing, msg.request_id, reserved=False)


@dataclass(frozen=True)
class Answer:
    """The stock service's answer to one offer's reservation, with what it bears on."""

    offer: OfferRow
    in_round: list[OfferRow]  # every offer of the round, the offer itself included
    loaded: Loaded
    reserved: bool


async def _reservation_answered(
    uow: UnitOfWork, redis: Redis, routing: Routing, request_id: str, *, reserved: bool
) -> None:
    found = await rounds_of_requests(uow, [request_id])
    if request_id not in found:
        return
    offer, in_round = found[request_id]
    loaded = await load_order(uow.session, offer.order_id)
    assert loaded is not None
    staged = Staged()
    await _answered(uow, redis, routing, staged, Answer(offer, in_round, loaded, reserved))
    await staged.write(uow)


async def _answered(
    uow: UnitOfWork, redis: Redis, routing: Routing, staged: Staged, answer: Answer
) -> None:
    offer, in_round, loaded = answer.offer, answer.in_round, answer.loaded
    if offer.state != OfferState.RESERVING:
        return  # a repeated answer, or one for a round that has moved on
    state = OfferState.RESERVED if answer.reserved else OfferState.UNAVAILABLE
    staged.offers.stage(offer, {"state": state})
    if loaded.order.status not in UNASSIGNED:  # cancelled meanwhile
        if answer.reserved:
            uow.emit(ReleaseReservation(request_id=offer.request_id, reason="order_not_waiting"))
        return
    if any(o.state == OfferState.RESERVING for o in in_round):
        return  # a grab round waits for every dealer's stock answer
    ready = [o for o in in_round if o.state == OfferState.RESERVED]
    if ready:
        await _open_round(uow, staged, loaded, ready, routing)
    else:
        await staged.write(uow)  # routing reads the round's offers from the database
        await dispatch(uow, redis, loaded, routing)


async def _open_round(
    uow: UnitOfWork, staged: Staged, loaded: Loaded, offers: list[OfferRow], routing: Routing
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
    loaded.stage(uow, staged)
    uow.set_timer(
        timer_key(order.id, attempt), deadline, OfferDeadline(order_id=order.id, offer_id=rid)
    )
    lines = await offer_lines(uow, loaded)
    for offer in offers:
        changes = {"state": OfferState.OFFERED, "offered_at": now, "deadline": deadline}
        staged.offers.stage(offer, changes)
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
