"""Handing an order over: ready, picked up with the customer's code, or delivered."""

from __future__ import annotations

from typing import Literal

from sqlmodel import col, select

from services.catalog import public as catalog
from services.orders import sales
from services.orders.domain.attribution import binding_after_fulfilment
from services.orders.domain.offer_state import OfferState
from services.orders.domain.order import IllegalTransition, Order
from services.orders.domain.pickup import Accepted, Locked, PickupGuard, PickupKeyMismatch, Wrong
from services.orders.domain.status import FINAL, Fulfilment, OrderStatus
from services.orders.models import CustomerBinding, OfferRow
from services.orders.repository import Loaded, load_order, save_pickup_failures
from shared.bus.handling import Context
from shared.db.uow import UnitOfWork
from shared.messages.orders import (
    Actor,
    ConfirmDelivery,
    ConfirmPickup,
    HandoverAnswered,
    MarkReady,
)
from shared.messages.stock import CommitReservation
from shared.messages.system import HqAlertRaised
from shared.sealed import SealError, open_sealed


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
    await loaded.save(ctx.uow)


async def confirm_pickup(msg: ConfirmPickup, ctx: Context, *, pickup_key: bytes) -> None:
    """Staff typed the customer's code: hand over on the right one, lock after five wrong.

    The right code on an accepted order hands it over too (``Order.pick_up``): the customer
    is at the counter, so the order was ready. Every other answer says why not.
    """
    loaded = await load_order(ctx.uow.session, msg.order_id)
    if loaded is None:
        return
    row, order = loaded.row, loaded.order
    why = refusal(order, msg.actor, "pickup")
    if why is None and not row.pickup_digest:
        why = "no_code"
    if why is not None:
        _answer(ctx, msg.order_id, msg.actor, "pickup", "refused", reason=why)
        return
    before = row.pickup_failures
    salt = bytes.fromhex(row.pickup_salt or "")
    guard = PickupGuard(salt, row.pickup_digest or "", pickup_key, before)
    typed = msg.code if msg.code is not None else opened_code(msg, pickup_key)
    result = guard.check(typed)
    if guard.wrong != before:
        await save_pickup_failures(ctx.uow, loaded, guard.wrong)
    if isinstance(result, Accepted):
        await _complete(ctx.uow, loaded, msg.actor)
        _answer(ctx, row.id, msg.actor, "pickup", "done")
    elif isinstance(result, Wrong):
        _answer(ctx, row.id, msg.actor, "pickup", "wrong", remaining=result.remaining)
    else:
        assert isinstance(result, Locked)
        if guard.wrong > before:  # this code locked it: tell HQ once
            ctx.uow.emit(
                HqAlertRaised(
                    kind="pickup_locked",
                    text=f"Order {row.id}: pickup locked after {guard.wrong} wrong codes "
                    f"at dealer {msg.actor.dealer_id}.",
                    subject_id=row.id,
                )
            )
        _answer(ctx, row.id, msg.actor, "pickup", "locked")


def opened_code(msg: ConfirmPickup, pickup_key: bytes) -> str:
    """The code typed, opened from its seal; PickupKeyMismatch if this key cannot open it."""
    assert msg.sealed_code is not None  # the message has one or the other
    try:
        return open_sealed(msg.sealed_code, msg.order_id, pickup_key)
    except SealError as exc:  # not the customer's fault: count no try, say which key
        raise PickupKeyMismatch(str(exc)) from None


async def confirm_delivery(msg: ConfirmDelivery, ctx: Context) -> None:
    """The fulfilling dealer delivered the order; the answer says so, or why not."""
    loaded = await load_order(ctx.uow.session, msg.order_id)
    if loaded is None:
        return
    why = refusal(loaded.order, msg.actor, "delivery")
    if why is not None:
        _answer(ctx, msg.order_id, msg.actor, "delivery", "refused", reason=why)
        return
    await _complete(ctx.uow, loaded, msg.actor)
    _answer(ctx, msg.order_id, msg.actor, "delivery", "done")


def refusal(order: Order, actor: Actor, step: Literal["pickup", "delivery"]) -> str | None:
    """Why ``actor`` cannot hand ``order`` over by ``step`` now; None if they can.

    A dealer the order was never offered to learns nothing about it: ``not_yours``.
    """
    mine = order.fulfilling_dealer_id is not None and order.fulfilling_dealer_id == actor.dealer_id
    if not mine and actor.dealer_id not in order.tried:
        return "not_yours"
    offer = order.current_offer
    if order.status == OrderStatus.OFFERED and offer and actor.dealer_id in offer.dealer_ids:
        return "offered"  # theirs to accept first
    ended = order.status in (OrderStatus.COMPLETED, *FINAL)
    if ended and (mine or order.fulfilling_dealer_id is None):
        return str(order.status)
    if not mine:
        return "not_yours"
    if order.fulfilment != step:
        return f"not_{step}"
    return None


def _answer(
    ctx: Context, order_id: str, actor: Actor, step: Literal["pickup", "delivery"],
    outcome: Literal["done", "wrong", "locked", "refused"], *, remaining: int = 0,
    reason: str = "",
) -> None:  # fmt: skip
    ctx.uow.emit(HandoverAnswered(order_id=order_id, actor=actor, step=step, outcome=outcome,
                                  remaining=remaining, reason=reason))  # fmt: skip


async def _complete(uow: UnitOfWork, loaded: Loaded, actor: Actor) -> None:
    order, now = loaded.order, uow.clock.now()
    dealer_id = order.fulfilling_dealer_id or ""
    if order.fulfilment == Fulfilment.PICKUP:
        order.pick_up(dealer_id, now, actor.id)
    else:
        order.complete(dealer_id, now, actor.id)
    await loaded.save(uow)
    await sales.handed_over(uow, loaded)
    accepted = (
        await uow.session.exec(
            select(OfferRow).where(
                col(OfferRow.order_id) == order.id, col(OfferRow.state) == OfferState.ACCEPTED
            )
        )
    ).first()
    if accepted is not None:
        uow.emit(CommitReservation(request_id=accepted.request_id))
    binding = await uow.session.get(CustomerBinding, loaded.row.customer_id)
    dealer = await catalog.dealer(uow.session, dealer_id)
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
