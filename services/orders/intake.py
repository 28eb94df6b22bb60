"""Taking an order in: validate it whole, route it, and store it with its first reservation.

Routing's reads (the geo index, the stock view, the dealers' records) happen before the
write transaction, from a read session; the transaction then stores the order, the
routing decision and the offer, and asks the stock service for the units, in one commit.
So an order costs one hop less than when a ``RouteOrder`` message routed it, and the
write lock is never held across a Redis round trip.
"""

from __future__ import annotations

import functools
import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.orders import codec
from services.orders.dispatch import RoutePlan, Routing, plan_route, start_route
from services.orders.domain.attribution import attribute, normalise_referral_code
from services.orders.domain.body import OrderBody
from services.orders.domain.facts import Channel
from services.orders.domain.intake import (
    FieldError,
    IntakeError,
    ProductFacts,
    body_fingerprint,
    check_against_catalog,
    facts_from_body,
    order_lines,
    parse_order,
    sale_lines,
)
from services.orders.domain.intake_record import IntakeRecord
from services.orders.domain.order import Order
from services.orders.domain.pickup import hash_code, new_code, new_salt
from services.orders.domain.status import Fulfilment
from services.orders.models import CustomerBinding, OrderRow
from services.orders.repository import Loaded
from services.pricing.public import (
    LineIn,
    PromotionGone,
    Quote,
    claim_units,
    pricing_inputs,
    quote_order,
    units_used,
)
from shared.db.uow import unit_of_work
from shared.messages.orders import OrderStatusChanged, SaleLine
from shared.runtime import Runtime
from shared.settings import Settings

_RANDOM = random.SystemRandom()
PRICING_TRIES = 4  # a promotion's last units taken by another order: price the order again


class OrderConflict(Exception):
    """The same (channel, external_id) was sent before with a different body."""


@dataclass(frozen=True)
class Received:
    """The answer to a POST: the order, whether it is new, and its pickup code (new only)."""

    row: OrderRow
    created: bool
    pickup_code: str | None


async def receive_order(runtime: Runtime, data: Any) -> Received:
    """Store a new order (or find the same one again), routed and asking for its stock.

    Raises IntakeError naming every bad field, or OrderConflict; neither changes anything.
    """
    body = parse_order(data)
    fingerprint = body_fingerprint(body)
    code = salt = digest = None
    order_id = f"o_{uuid.uuid4().hex[:20]}"
    plan: RoutePlan | None = None
    for _ in range(PRICING_TRIES):
        at = runtime.clock.now()
        async with runtime.db.read() as session:  # every read of this try, in one session
            known = await _existing(session, body, fingerprint) if plan is None else None
            if known is not None:
                return Received(known, False, None)
            products, quotes = await _products(session, body, at)
            errors = check_against_catalog(body, products)
            if errors:
                raise IntakeError(errors)
            if plan is None:
                plan = await _plan(session, runtime, order_id, body, products)
        if body.fulfilment == "pickup" and digest is None:
            code, salt = new_code(_RANDOM), new_salt(_RANDOM)
            digest = hash_code(code, salt, runtime.pickup_key())
        installation = body.needs_installation or any(
            p.needs_installation for p in products.values()
        )
        try:
            sold = sale_lines(body, products)
            row = await _store(
                runtime, order_id, body,
                _Kept(fingerprint, salt, digest, installation, sold, _names(products)),
                quotes, at, plan,
            )  # fmt: skip
        except PromotionGone:  # its last units went to another order since we priced this one
            continue
        except IntegrityError:  # the same order arrived twice at once: the other one stored it
            async with runtime.db.read() as session:
                known = await _existing(session, body, fingerprint)
            if known is None:
                raise
            return Received(known, False, None)
        return Received(row, True, code)
    raise IntakeError([FieldError("lines", "promotions changed while the order was taken; retry")])


_BOUND_TO = select(CustomerBinding.dealer_id).where(
    col(CustomerBinding.customer_id) == bindparam("customer_id")
)
_BY_EXTERNAL_ID = select(OrderRow.id, OrderRow.fingerprint).where(
    col(OrderRow.channel) == bindparam("channel"),
    col(OrderRow.external_id) == bindparam("external_id"),
)


async def _existing(session: AsyncSession, body: OrderBody, fingerprint: str) -> OrderRow | None:
    # Columns first: a new order (nearly every one) costs no ORM object.
    params = {"channel": body.channel, "external_id": body.external_id}
    connection = await session.connection()
    found = (await connection.execute(_BY_EXTERNAL_ID, params)).first()
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise OrderConflict(
            f"order {body.external_id!r} of channel {body.channel!r} was sent before "
            "with a different body"
        )
    return await session.get(OrderRow, found.id)


async def _products(
    session: AsyncSession, body: OrderBody, at: datetime
) -> tuple[dict[str, ProductFacts], list[Quote]]:
    """The catalog's products of the order, priced by the floors and promotions at ``at``."""
    skus = {line.sku for line in body.lines}
    known = await catalog.products(session, skus)
    rows = list(known.values())
    rules, promotions = await pricing_inputs(session, skus, {p.category for p in rows}, at)
    lines: dict[str, LineIn] = {}
    for i, line in enumerate(body.lines):
        p = known.get(line.sku)
        if p is not None and p.currency == body.currency and line.sku not in lines:
            lines[line.sku] = LineIn(
                line.sku, p.category, line.qty, body.unit_price_minor(i), p.list_price,
                p.currency, p.floor_price,
            )  # fmt: skip
    quotes = quote_order(list(lines.values()), rules, promotions, body.address.region, at)
    priced = {q.line.sku: q for q in quotes}
    facts = {}
    for p in rows:
        quote = priced.get(p.sku)
        applied = quote.applied if quote else None
        facts[p.sku] = ProductFacts(
            sku=p.sku, currency=p.currency, name=p.name,
            floor_price_minor=quote.floor.amount if quote else p.floor_price,
            channel=Channel(p.channel), needs_installation=p.needs_installation,
            category=p.category, list_price_minor=p.list_price,
            wholesale_price_minor=p.wholesale_price,
            promotion_price_minor=quote.best.price if quote and quote.best else None,
            promotion_id=applied.lead.id if applied else None,
            funded_by=applied.funded_by if applied else None,
        )  # fmt: skip
    return facts, quotes


def _names(products: dict[str, ProductFacts]) -> dict[str, str]:
    return {sku: p.name for sku, p in products.items()}


@functools.lru_cache(maxsize=8)
def routing_of(settings: Settings) -> Routing:
    """The routing configuration of ``settings`` (made once per settings object)."""
    return Routing.from_settings(settings)


async def _plan(
    session: AsyncSession,
    runtime: Runtime,
    order_id: str,
    body: OrderBody,
    products: dict[str, ProductFacts],
) -> RoutePlan:
    facts = facts_from_body(order_id, body, products)
    return await plan_route(
        session, runtime.clock.now(), runtime.redis, facts, routing_of(runtime.settings)
    )


@dataclass(frozen=True)
class _Kept:
    """What intake worked out of the body besides its price, stored with the order."""

    fingerprint: str
    salt: bytes | None
    digest: str | None
    installation: bool
    sold: list[SaleLine]
    names: dict[str, str]  # the products' names, by SKU


async def _store(
    runtime: Runtime,
    order_id: str,
    body: OrderBody,
    worked_out: _Kept,
    quotes: list[Quote],
    priced_at: datetime,
    plan: RoutePlan,
) -> OrderRow:
    now = runtime.clock.now()
    fingerprint, salt, digest = worked_out.fingerprint, worked_out.salt, worked_out.digest
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        session = uow.session
        code = body.customer.referral_code
        owners: dict[str, str] = {}
        if code and code.strip():
            wanted = normalise_referral_code(code)
            owners = {
                normalise_referral_code(c): d
                for c, d in (await catalog.referral_owners(session, wanted)).items()
            }
        connection = await session.connection()
        bound_to = await connection.scalar(_BOUND_TO, {"customer_id": body.customer.id})
        attribution = attribute(code, bound_to, owners)
        kept = IntakeRecord.taken(
            body, needs_installation=worked_out.installation, sale_lines=worked_out.sold,
            pricing=[quote.record() for quote in quotes], product_names=worked_out.names,
        )  # fmt: skip
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
            aggregate=codec.dump(order), intake=kept.to_json(),
            pickup_salt=salt.hex() if salt else None, pickup_digest=digest,
            created_at=now, updated_at=now,
        )  # fmt: skip
        await claim_units(session, units_used(quotes), priced_at)  # PromotionGone: none left
        session.add(row)
        await session.flush()  # the unique (channel, external_id) answers here, not at commit
        uow.emit(
            OrderStatusChanged(
                order_id=order_id, external_id=body.external_id, channel=body.channel,
                status="received", previous=None, fulfilling_dealer_id=None,
                originating_dealer_id=attribution.originating_dealer_id, at=now,
            )
        )  # fmt: skip
        await start_route(uow, Loaded(row, order, kept), plan, routing_of(runtime.settings))
    return row


__all__ = ["FieldError", "IntakeError", "OrderConflict", "Received", "receive_order"]
