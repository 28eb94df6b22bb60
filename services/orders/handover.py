"""Handing an order over: ready, picked up with the customer's code, or delivered."""

from __future__ import annotations

from sqlmodel import col, select

from services.catalog.models import Dealer
from services.orders import sales
from services.orders.domain.attribution import binding_after_fulfilment
from services.orders.domain.order import IllegalTransition
from services.orders.domain.pickup import Accepted, Locked, PickupGuard, Wrong
from services.orders.domain.status import Fulfilment, OrderStatus
from services.orders.models import CustomerBinding, OfferRow
from services.orders.repository import Loaded, load_order
from shared.bus.consumer import Context
from shared.db.uow import UnitOfWork
from shared.messages.orders import Actor, ConfirmDelivery, ConfirmPickup, MarkReady, PickupAnswered
from shared.messages.stock import CommitReservation
from shared.messages.system import HqAlertRaised


async def mark_ready(msg: MarkReady, ctx: Context) -> None:
    """The fulfilling dealer has the goods ready: for pickup, or out for delivery."""
    loaded = await _own_order(ctx, msg.order_id, msg.actor)
    if loaded is None:
        return
    order, now = loaded.order, ctx.clock.now()
    try:
        if order.fulfilment == Fulfilment.PICKUP:
            order.ready_for_pickup(msg.actor.dealer_id or "", now, msg.actor.id)
        else:
            order.out_for_delivery(msg.actor.dealer_id or "", now, msg.actor.id)
    except IllegalTransition:
        return  # pressed twice, or too late: nothing to do
    loaded.save(ctx.uow)


async def confirm_pickup(msg: ConfirmPickup, ctx: Context) -> None:
    """Staff typed the customer's code: hand over on the right one, lock after five wrong."""
    loaded = await _own_order(ctx, msg.order_id, msg.actor)
    if loaded is None:
        return
    row, order = loaded.row, loaded.order
    if order.status != OrderStatus.READY_FOR_PICKUP or not row.pickup_digest:
        ctx.uow.emit(PickupAnswered(order_id=row.id, actor=msg.actor, outcome="not_ready"))
        return
    before = row.pickup_failures
    guard = PickupGuard(bytes.fromhex(row.pickup_salt or ""), row.pickup_digest, before)
    result = guard.check(msg.code)
    row.pickup_failures = guard.wrong
    if isinstance(result, Accepted):
        await _complete(ctx.uow, loaded, msg.actor)
        ctx.uow.emit(PickupAnswered(order_id=row.id, actor=msg.actor, outcome="accepted"))
    elif isinstance(result, Wrong):
        ctx.uow.session.add(row)
        ctx.uow.emit(
            PickupAnswered(
                order_id=row.id, actor=msg.actor, outcome="wrong", remaining=result.remaining
            )
        )
    else:
        assert isinstance(result, Locked)
        ctx.uow.session.add(row)
        if guard.wrong > before:  # this code locked it: tell HQ once
            ctx.uow.emit(
                HqAlertRaised(
                    kind="pickup_locked",
                    text=f"Order {row.id}: pickup locked after {guard.wrong} wrong codes "
                    f"at dealer {msg.actor.dealer_id}.",
                    subject_id=row.id,
                )
            )
        ctx.uow.emit(PickupAnswered(order_id=row.id, actor=msg.actor, outcome="locked"))


async def confirm_delivery(msg: ConfirmDelivery, ctx: Context) -> None:
    """The fulfilling dealer delivered the order."""
    loaded = await _own_order(ctx, msg.order_id, msg.actor)
    if loaded is None or loaded.order.fulfilment != Fulfilment.DELIVERY:
        return
    try:
        await _complete(ctx.uow, loaded, msg.actor)
    except IllegalTransition:
        return


async def _complete(uow: UnitOfWork, loaded: Loaded, actor: Actor) -> None:
    order, now = loaded.order, uow.clock.now()
    dealer_id = order.fulfilling_dealer_id or ""
    order.complete(dealer_id, now, actor.id)
    loaded.save(uow)
    await sales.handed_over(uow, loaded)
    accepted = (
        await uow.session.exec(
            select(OfferRow).where(
                col(OfferRow.order_id) == order.id, col(OfferRow.state) == "accepted"
            )
        )
    ).first()
    if accepted is not None:
        uow.emit(CommitReservation(request_id=accepted.request_id))
    binding = await uow.session.get(CustomerBinding, loaded.row.customer_id)
    dealer = await uow.session.get(Dealer, dealer_id)
    bound = binding_after_fulfilment(
        binding.dealer_id if binding else None,
        dealer_id,
        fulfilled_by_warehouse=bool(dealer and dealer.warehouse),
    )
    if binding is None and bound is not None:
        uow.session.add(
            CustomerBinding(customer_id=loaded.row.customer_id, dealer_id=bound, bound_at=now)
        )


async def _own_order(ctx: Context, order_id: str, actor: Actor) -> Loaded | None:
    """The order, if the actor's dealer fulfils it; anything else is ignored here."""
    loaded = await load_order(ctx.uow.session, order_id)
    if loaded is None or actor.dealer_id is None:
        return None
    if loaded.order.fulfilling_dealer_id != actor.dealer_id:
        return None
    return loaded
