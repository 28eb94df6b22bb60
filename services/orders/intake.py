"""Taking an order in: validate it whole, store it once, and ask for it to be routed."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from services.catalog.models import Dealer, Product
from services.orders import codec
from services.orders.domain.attribution import attribute, normalise_referral_code
from services.orders.domain.body import OrderBody
from services.orders.domain.facts import Channel
from services.orders.domain.intake import (
    FieldError,
    IntakeError,
    ProductFacts,
    body_fingerprint,
    check_against_catalog,
    order_lines,
    parse_order,
    sale_lines,
)
from services.orders.domain.order import Order
from services.orders.domain.pickup import hash_code, new_code, new_salt
from services.orders.domain.status import Fulfilment
from services.orders.models import CustomerBinding, OrderRow
from services.runtime import Runtime
from shared.db.uow import unit_of_work
from shared.messages.orders import OrderStatusChanged, RouteOrder, SaleLine

_RANDOM = random.SystemRandom()


class OrderConflict(Exception):
    """The same (channel, external_id) was sent before with a different body."""


@dataclass(frozen=True)
class Received:
    """The answer to a POST: the order, whether it is new, and its pickup code (new only)."""

    row: OrderRow
    created: bool
    pickup_code: str | None


async def receive_order(runtime: Runtime, data: Any) -> Received:
    """Store a new order (or find the same one again) and queue its routing.

    Raises IntakeError naming every bad field, or OrderConflict; neither changes anything.
    """
    body = parse_order(data)
    fingerprint = body_fingerprint(body)
    known = await _existing(runtime, body, fingerprint)
    if known is not None:
        return Received(known, False, None)
    products = await _products(runtime, body)
    errors = check_against_catalog(body, products)
    if errors:
        raise IntakeError(errors)
    code = salt = digest = None
    if body.fulfilment == "pickup":
        code, salt = new_code(_RANDOM), new_salt(_RANDOM)
        digest = await asyncio.to_thread(hash_code, code, salt)  # scrypt: keep the loop free
    installation = body.needs_installation or any(p.needs_installation for p in products.values())
    try:
        sold = sale_lines(body, products)
        row = await _store(runtime, body, fingerprint, salt, digest, installation, sold)
    except IntegrityError:  # the same order arrived twice at once: the other one stored it
        known = await _existing(runtime, body, fingerprint)
        if known is None:
            raise
        return Received(known, False, None)
    return Received(row, True, code)


async def _existing(runtime: Runtime, body: OrderBody, fingerprint: str) -> OrderRow | None:
    async with runtime.db.read() as session:
        row = (
            await session.exec(
                select(OrderRow).where(
                    col(OrderRow.channel) == body.channel,
                    col(OrderRow.external_id) == body.external_id,
                )
            )
        ).first()
    if row is not None and row.fingerprint != fingerprint:
        raise OrderConflict(
            f"order {body.external_id!r} of channel {body.channel!r} was sent before "
            "with a different body"
        )
    return row


async def _products(runtime: Runtime, body: OrderBody) -> dict[str, ProductFacts]:
    skus = {line.sku for line in body.lines}
    async with runtime.db.read() as session:
        rows = (await session.exec(select(Product).where(col(Product.sku).in_(skus)))).all()
    return {
        p.sku: ProductFacts(
            sku=p.sku, currency=p.currency, floor_price_minor=p.floor_price,
            channel=Channel(p.channel), needs_installation=p.needs_installation,
            category=p.category, list_price_minor=p.list_price,
            wholesale_price_minor=p.wholesale_price,
        )
        for p in rows
    }  # fmt: skip


async def _store(
    runtime: Runtime,
    body: OrderBody,
    fingerprint: str,
    salt: bytes | None,
    digest: str | None,
    installation: bool,
    sold: list[SaleLine],
) -> OrderRow:
    now = runtime.clock.now()
    order_id = f"o_{uuid.uuid4().hex[:20]}"
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        session = uow.session
        code = body.customer.referral_code
        owners: dict[str, str] = {}
        if code and code.strip():
            wanted = normalise_referral_code(code)
            match = select(Dealer.id, Dealer.referral_code).where(
                func.upper(col(Dealer.referral_code)) == wanted.upper()
            )
            owners = {
                normalise_referral_code(c or ""): d for d, c in (await session.exec(match)).all()
            }
        binding = await session.get(CustomerBinding, body.customer.id)
        attribution = attribute(code, binding.dealer_id if binding else None, owners)
        order = Order.receive(
            order_id, Fulfilment(body.fulfilment), order_lines(body), now, f"shop:{body.channel}",
            originating_dealer_id=attribution.originating_dealer_id,
            external_id=body.external_id, attribution=attribution.source,
            unknown_referral_code=attribution.unknown_referral_code,
        )  # fmt: skip
        row = OrderRow(
            id=order_id, channel=body.channel, external_id=body.external_id,
            fingerprint=fingerprint, status=str(order.status), customer_id=body.customer.id,
            originating_dealer_id=attribution.originating_dealer_id,
            amount=body.amount_minor(), currency=body.currency,
            aggregate=codec.dump(order), intake=body.model_dump(mode="json"),
            pickup_salt=salt.hex() if salt else None, pickup_digest=digest,
            created_at=now, updated_at=now,
        )  # fmt: skip
        row.intake["needs_installation"] = installation
        row.intake["sale_lines"] = [line.model_dump(mode="json") for line in sold]
        session.add(row)
        await session.flush()  # the unique (channel, external_id) answers here, not at commit
        uow.emit(
            OrderStatusChanged(
                order_id=order_id, external_id=body.external_id, channel=body.channel,
                status="received", previous=None, fulfilling_dealer_id=None,
                originating_dealer_id=attribution.originating_dealer_id, at=now,
            )
        )  # fmt: skip
        uow.emit(RouteOrder(order_id=order_id))
    return row


__all__ = ["FieldError", "IntakeError", "OrderConflict", "Received", "receive_order"]
