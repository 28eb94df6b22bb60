"""The orders service's handler table: routing, offers, answers, handover.

Every handler loads the order row-locked, asks the pure aggregate to make the move (it
raises IllegalTransition and changes nothing if the move is not allowed), saves it, and
emits what follows through the outbox.
"""

from __future__ import annotations

from redis.asyncio import Redis
from sqlmodel import col, select

from services.catalog import public as catalog
from services.orders import sales
from services.orders.dispatch import Routing, dispatch
from services.orders.domain.offer_state import OfferState
from services.orders.domain.order import IllegalTransition
from services.orders.domain.status import UNASSIGNED, OrderStatus
from services.orders.handover import confirm_delivery, confirm_pickup, mark_ready
from services.orders.models import OfferRow
from services.orders.repository import Loaded, load_order, offer_by_id, offer_by_request
from shared.bus.consumer import Context, Handler
from shared.db.uow import UnitOfWork
from shared.messages import Message
from shared.messages.orders import (
    AcceptOffer,
    ConfirmDelivery,
    ConfirmPickup,
    DeclineOffer,
    MarkReady,
    OfferClosed,
    OfferDeadline,
    OfferLine,
    OrderAccepted,
    OrderOffered,
    RouteOrder,
    SetDealerPaused,
)
from shared.messages.stock import (
    HoldReservation,
    ReleaseReservation,
    ReportStock,
    StockCount,
    StockReserved,
    StockUnavailable,
)


def round_id(order_id: str, attempt: int) -> str:
    """The id of one offer round of an order (one dealer, or several in grab mode)."""
    return f"{order_id}:{attempt}"


def timer_key(order_id: str, attempt: int) -> str:
    """The durable timer of an offer round's deadline."""
    return f"orders:offer:{order_id}:{attempt}"


def build_handlers(redis: Redis, routing: Routing) -> dict[type[Message], Handler]:
    """The handler table, bound to the Redis client and routing configuration."""

    async def route_order(msg: RouteOrder, ctx: Context) -> None:
        loaded = await load_order(ctx.uow.session, msg.order_id)
        if loaded is not None:
            await dispatch(ctx.uow, redis, loaded, routing)

    async def stock_reserved(msg: StockReserved, ctx: Context) -> None:
        await _reservation_answered(ctx.uow, msg.request_id, reserved=True)

    async def stock_unavailable(msg: StockUnavailable, ctx: Context) -> None:
        await _reservation_answered(ctx.uow, msg.request_id, reserved=False)

    async def _reservation_answered(uow: UnitOfWork, request_id: str, reserved: bool) -> None:
        offer = await offer_by_request(uow.session, request_id)
        if offer is None or offer.state != OfferState.RESERVING:
            return
        loaded = await load_order(uow.session, offer.order_id)
        assert loaded is not None
        offer.state = OfferState.RESERVED if reserved else OfferState.UNAVAILABLE
        uow.session.add(offer)
        if loaded.order.status not in UNASSIGNED:  # cancelled meanwhile
            if reserved:
                uow.emit(ReleaseReservation(request_id=request_id, reason="order_not_waiting"))
            return
        round_offers = await _round(uow, offer.order_id, offer.attempt)
        if any(o.state == OfferState.RESERVING for o in round_offers):
            return  # a grab round waits for every dealer's stock answer
        await _open_round(uow, loaded, [o for o in round_offers if o.state == OfferState.RESERVED])

    async def _open_round(uow: UnitOfWork, loaded: Loaded, offers: list[OfferRow]) -> None:
        if not offers:
            await dispatch(uow, redis, loaded, routing)
            return
        order, now = loaded.order, uow.clock.now()
        attempt, deadline = offers[0].attempt, offers[0].deadline
        rid = round_id(order.id, attempt)
        dealers = [o.dealer_id for o in offers]
        if len(offers) == 1:
            order.offer(dealers[0], rid, deadline, now, "system")
        else:
            order.broadcast(dealers, rid, deadline, now, "system")
        loaded.save(uow)
        await uow.set_timer(
            timer_key(order.id, attempt), deadline, OfferDeadline(order_id=order.id, offer_id=rid)
        )
        lines = await _offer_lines(uow, loaded)
        intake = loaded.row.intake
        for offer in offers:
            offer.state, offer.offered_at = OfferState.OFFERED, now
            uow.session.add(offer)
            uow.emit(
                OrderOffered(
                    order_id=order.id, offer_id=offer.id, dealer_id=offer.dealer_id,
                    lines=lines, fulfilment=order.fulfilment.value,
                    needs_installation=intake["needs_installation"],
                    distance_km=offer.distance_km,
                    district=f"{intake['address']['city']}, {intake['address']['region']}",
                    deadline=deadline, city=intake["address"]["city"],
                    region=intake["address"]["region"],
                )
            )  # fmt: skip

    async def offer_deadline(msg: OfferDeadline, ctx: Context) -> None:
        loaded = await load_order(ctx.uow.session, msg.order_id)
        current = loaded.order.current_offer if loaded else None
        if loaded is None or current is None or current.offer_id != msg.offer_id:
            return  # answered, cancelled or re-offered since: the timer is stale
        loaded.order.expire(msg.offer_id, max(ctx.clock.now(), current.deadline), "system")
        loaded.save(ctx.uow)
        attempt = int(msg.offer_id.rsplit(":", 1)[1])
        for offer in await _round(ctx.uow, msg.order_id, attempt):
            if offer.state == OfferState.OFFERED:
                _close(ctx.uow, offer, OfferState.EXPIRED)
        await dispatch(ctx.uow, redis, loaded, routing)

    async def accept_offer(msg: AcceptOffer, ctx: Context) -> None:
        uow, now = ctx.uow, ctx.clock.now()
        offer = await offer_by_id(uow.session, msg.offer_id)
        if offer is None or msg.actor.dealer_id != offer.dealer_id:
            return  # the bot checked the binding; a forged id is refused there and here
        loaded = await load_order(uow.session, offer.order_id)
        assert loaded is not None
        order = loaded.order
        rid = round_id(order.id, offer.attempt)
        grab = order.current_offer is not None and order.current_offer.grab
        try:
            if grab:
                order.taken(offer.dealer_id, rid, now, msg.actor.id)
            else:
                order.accept(offer.dealer_id, rid, now, msg.actor.id)
        except IllegalTransition:
            if offer.state == OfferState.OFFERED:  # e.g. past its deadline, timer not yet fired
                return
            uow.emit(_closed(offer, offer.state))
            return
        loaded.save(uow)
        await sales.accepted(uow, loaded)
        await uow.cancel_timer(timer_key(order.id, offer.attempt))
        _close(uow, offer, OfferState.ACCEPTED, release=False)
        uow.emit(HoldReservation(request_id=offer.request_id, expires_at=None))
        for other in await _round(uow, order.id, offer.attempt):
            if other.id != offer.id and other.state == OfferState.OFFERED:
                _close(uow, other, OfferState.TAKEN)
        intake = loaded.row.intake
        uow.emit(
            OrderAccepted(
                order_id=order.id, dealer_id=offer.dealer_id,
                customer_name=intake["customer"]["name"],
                customer_phone=intake["customer"]["phone"],
                address=f"{intake['address']['line']}, {intake['address']['city']}",
                fulfilment=order.fulfilment.value, lines=await _offer_lines(uow, loaded),
            )
        )  # fmt: skip

    async def decline_offer(msg: DeclineOffer, ctx: Context) -> None:
        uow, now = ctx.uow, ctx.clock.now()
        offer = await offer_by_id(uow.session, msg.offer_id)
        if (
            offer is None
            or msg.actor.dealer_id != offer.dealer_id
            or offer.state != OfferState.OFFERED
        ):
            return
        loaded = await load_order(uow.session, offer.order_id)
        assert loaded is not None
        order = loaded.order
        order.decline(
            offer.dealer_id, round_id(order.id, offer.attempt), now, msg.actor.id, msg.reason
        )
        loaded.save(uow)
        offer.decline_reason = msg.reason
        _close(uow, offer, OfferState.DECLINED)
        if msg.reason == "out_of_stock":
            counts = [StockCount(sku=ln.sku, on_hand=0) for ln in order.lines]
            uow.emit(ReportStock(dealer_id=offer.dealer_id, counts=counts, source="decline",
                                 reported_by=msg.actor.id))  # fmt: skip
        if order.status == OrderStatus.RECEIVED:
            await uow.cancel_timer(timer_key(order.id, offer.attempt))
            await dispatch(uow, redis, loaded, routing)

    return {
        RouteOrder: route_order,
        StockReserved: stock_reserved,
        StockUnavailable: stock_unavailable,
        OfferDeadline: offer_deadline,
        AcceptOffer: accept_offer,
        DeclineOffer: decline_offer,
        MarkReady: mark_ready,
        ConfirmPickup: confirm_pickup,
        ConfirmDelivery: confirm_delivery,
        SetDealerPaused: catalog.set_dealer_paused,
    }


async def _round(uow: UnitOfWork, order_id: str, attempt: int) -> list[OfferRow]:
    query = (
        select(OfferRow)
        .where(col(OfferRow.order_id) == order_id, col(OfferRow.attempt) == attempt)
        .with_for_update()
    )
    return list((await uow.session.exec(query)).all())


def _close(uow: UnitOfWork, offer: OfferRow, outcome: OfferState, *, release: bool = True) -> None:
    """End one dealer's offer: record it, free its stock, and tell the chat."""
    offer.state, offer.answered_at = outcome, uow.clock.now()
    uow.session.add(offer)
    if release:
        # Not "expired": the stock service keeps that word for its own safety-net timer.
        uow.emit(ReleaseReservation(request_id=offer.request_id, reason=f"offer_{outcome}"))
    uow.emit(_closed(offer, outcome))


def _closed(offer: OfferRow, outcome: OfferState) -> OfferClosed:
    return OfferClosed(
        order_id=offer.order_id, offer_id=offer.id, dealer_id=offer.dealer_id,
        outcome=outcome,
    )  # fmt: skip


async def _offer_lines(uow: UnitOfWork, loaded: Loaded) -> list[OfferLine]:
    skus = [ln.sku for ln in loaded.order.lines]
    names = {sku: p.name for sku, p in (await catalog.products(uow.session, skus)).items()}
    return [
        OfferLine(sku=ln.sku, name=names.get(ln.sku, ln.sku), qty=ln.qty)
        for ln in loaded.order.lines
    ]
