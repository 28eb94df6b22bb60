"""Taking orders in: validate each whole, route it, and store it with its first reservation.

Routing's reads (the geo index, the stock view, the dealers' records) happen before the
write transaction, from a read session; the transaction then stores the order, the
routing decision and the offer, and asks the stock service for the units, in one commit.
So an order costs one hop less than when a ``RouteOrder`` message routed it, and the
write lock is never held across a Redis round trip.

Orders arriving together are taken in together (``receive_orders``, fed by the API's
``IntakeQueue``): one read of each kind and one commit for the lot, so a burst costs a
few statements an order rather than a few dozen.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.orders import codec
from services.orders.dispatch import RoutePlan, Routing, plan_routes, start_routes
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
from services.orders.repository import Loaded, status_changed
from services.pricing.public import (
    FloorRule,
    LineIn,
    PromotionGone,
    Quote,
    Terms,
    claim_units,
    pricing_inputs,
    quote_order,
    units_used,
)
from shared.db.uow import unit_of_work
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


Answer = Received | IntakeError | OrderConflict  # what each order of a batch gets


async def receive_order(runtime: Runtime, data: Any) -> Received:
    """Store a new order (or find the same one again), routed and asking for its stock.

    Raises IntakeError naming every bad field, or OrderConflict; neither changes anything.
    """
    [answer] = await receive_orders(runtime, [parse_order(data)])
    if isinstance(answer, Exception):
        raise answer
    return answer


async def receive_orders(
    runtime: Runtime, bodies: Sequence[OrderBody], actors: Sequence[str | None] | None = None
) -> list[Answer]:
    """Take several orders in together: one read of each kind and one commit for them all.

    Each gets the answer it would have got alone: its Received, or the IntakeError or
    OrderConflict that changed nothing. Should the batch's commit fail (a promotion's last
    units taken meanwhile, the same order stored by another request), each order is taken
    again on its own. ``actors`` name who sent each order (the API key) in its timeline;
    without one, the shop's channel.
    """
    sent_by = list(actors) if actors is not None else [None] * len(bodies)

    async def one_by_one() -> list[Answer]:
        return [
            answer
            for body, actor in zip(bodies, sent_by, strict=True)
            for answer in await receive_orders(runtime, [body], [actor])
        ]

    keys = [(body.channel, body.external_id) for body in bodies]
    if len(bodies) > 1 and len(set(keys)) < len(keys):  # the same order twice in one batch
        return await one_by_one()
    taking = [
        _Taking(body, body_fingerprint(body), _new_order_id(), actor=actor)
        for body, actor in zip(bodies, sent_by, strict=True)
    ]
    for _ in range(PRICING_TRIES):
        try:
            return await _take_in(runtime, taking)
        except (PromotionGone, IntegrityError) as exc:
            if len(taking) > 1:
                return await one_by_one()
            if isinstance(exc, IntegrityError):  # the same order, stored by another request
                return [await _stored_before(runtime, taking[0], exc)]
            # PromotionGone: its last units went to another order since this one was priced
    gone = FieldError("lines", "promotions changed while the order was taken; retry")
    return [IntakeError([gone])]


def _new_order_id() -> str:
    return f"o_{uuid.uuid4().hex[:20]}"


@dataclass
class _Taking:
    """An order being taken in, and what it keeps across tries."""

    body: OrderBody
    fingerprint: str
    order_id: str
    actor: str | None = None  # who sent it, for its timeline; None: the shop's channel
    code: str | None = None  # the pickup code, shown once in the answer
    salt: bytes | None = None
    digest: str | None = None

    def make_pickup_code(self, key: bytes) -> None:
        """Draw the pickup code of a pickup order (once)."""
        if self.body.fulfilment == "pickup" and self.digest is None:
            self.code, self.salt = new_code(_RANDOM), new_salt(_RANDOM)
            self.digest = hash_code(self.code, self.salt, key)


@dataclass(frozen=True)
class _Priced:
    """An order checked against the catalog and priced, ready to route and store."""

    index: int
    taking: _Taking
    products: dict[str, ProductFacts]
    quotes: list[Quote]


async def _take_in(runtime: Runtime, taking: Sequence[_Taking]) -> list[Answer]:
    at = runtime.clock.now()
    answers: list[Answer | None] = [None] * len(taking)
    async with runtime.db.read() as session:  # every read of this try, in one session
        known = await _existing(session, taking)
        for i, item in enumerate(taking):
            found = known.get((item.body.channel, item.body.external_id))
            if found is not None:
                answers[i] = await _known(session, item, *found)
        fresh = [i for i, answer in enumerate(answers) if answer is None]
        priced: list[_Priced] = []
        for i, (products, quotes) in zip(
            fresh, await _price(session, [taking[i].body for i in fresh], at), strict=True
        ):
            errors = check_against_catalog(taking[i].body, products)
            if errors:
                answers[i] = IntakeError(errors)
            else:
                priced.append(_Priced(i, taking[i], products, quotes))
        facts = [facts_from_body(p.taking.order_id, p.taking.body, p.products) for p in priced]
        plans = await plan_routes(
            session, runtime.clock.now(), runtime.redis, facts, routing_of(runtime.settings)
        )
    if priced:
        for p in priced:
            p.taking.make_pickup_code(runtime.pickup_key())
        rows = await _store(runtime, priced, plans, at)
        for p, row in zip(priced, rows, strict=True):
            answers[p.index] = Received(row, True, p.taking.code)
    assert all(answer is not None for answer in answers)  # known, refused or stored: each
    return cast(list[Answer], answers)


_BOUND_TO = select(CustomerBinding.customer_id, CustomerBinding.dealer_id).where(
    col(CustomerBinding.customer_id).in_(bindparam("ids", expanding=True))
)
_BY_EXTERNAL_ID = select(
    OrderRow.channel, OrderRow.external_id, OrderRow.id, OrderRow.fingerprint
).where(
    tuple_(col(OrderRow.channel), col(OrderRow.external_id)).in_(bindparam("keys", expanding=True))
)


async def _existing(
    session: AsyncSession, taking: Sequence[_Taking]
) -> dict[tuple[str, str], tuple[str, str]]:
    """(channel, external id) of the orders stored before -> their id and fingerprint."""
    # Columns first: a new order (nearly every one) costs no ORM object.
    keys = [(item.body.channel, item.body.external_id) for item in taking]
    connection = await session.connection()
    found = await connection.execute(_BY_EXTERNAL_ID, {"keys": keys})
    return {(channel, external): (id_, fp) for channel, external, id_, fp in found.all()}


async def _known(session: AsyncSession, item: _Taking, order_id: str, fingerprint: str) -> Answer:
    if fingerprint != item.fingerprint:
        return OrderConflict(
            f"order {item.body.external_id!r} of channel {item.body.channel!r} was sent "
            "before with a different body"
        )
    row = await session.get(OrderRow, order_id)
    assert row is not None  # orders are never deleted
    return Received(row, False, None)


async def _stored_before(runtime: Runtime, item: _Taking, exc: IntegrityError) -> Answer:
    async with runtime.db.read() as session:
        found = (await _existing(session, [item])).get((item.body.channel, item.body.external_id))
        if found is None:
            raise exc
        return await _known(session, item, *found)


async def _price(
    session: AsyncSession, bodies: Sequence[OrderBody], at: datetime
) -> list[tuple[dict[str, ProductFacts], list[Quote]]]:
    """Each order's catalog products, priced by the floors and promotions at ``at``."""
    if not bodies:
        return []
    skus = {line.sku for body in bodies for line in body.lines}
    known = await catalog.products(session, skus)
    categories = {p.category for p in known.values()}
    rules, promotions = await pricing_inputs(session, skus, categories, at)
    return [_priced(body, known, rules, promotions, at) for body in bodies]


def _priced(
    body: OrderBody,
    catalog_products: Mapping[str, catalog.Product],
    rules: Sequence[FloorRule],
    promotions: Sequence[Terms],
    at: datetime,
) -> tuple[dict[str, ProductFacts], list[Quote]]:
    known = {ln.sku: catalog_products[ln.sku] for ln in body.lines if ln.sku in catalog_products}
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
    for p in known.values():
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


@functools.lru_cache(maxsize=8)
def routing_of(settings: Settings) -> Routing:
    """The routing configuration of ``settings`` (made once per settings object)."""
    return Routing.from_settings(settings)


async def _store(
    runtime: Runtime, priced: Sequence[_Priced], plans: Sequence[RoutePlan], priced_at: datetime
) -> list[OrderRow]:
    """Store the orders, their routing and their stock requests in one transaction."""
    now = runtime.clock.now()
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        session = uow.session
        connection = await session.connection()
        customers = sorted({p.taking.body.customer.id for p in priced})
        bound = dict((await connection.execute(_BOUND_TO, {"ids": customers})).all())
        used: dict[str, int] = {}
        for p in priced:
            for promotion_id, units in units_used(p.quotes).items():
                used[promotion_id] = used.get(promotion_id, 0) + units
        await claim_units(session, used, priced_at)  # PromotionGone: not enough left for all
        routes = []
        for p in priced:
            row, order, kept = await _order_of(session, p, bound, now)
            session.add(row)
            routes.append((Loaded(row, order, kept), p))
        await session.flush()  # the unique (channel, external_id) answers here, not at commit
        for loaded, _ in routes:
            uow.emit(status_changed(loaded.row, None, now))
        await start_routes(
            uow,
            [(loaded, plan) for (loaded, _), plan in zip(routes, plans, strict=True)],
            routing_of(runtime.settings),
        )
    return [loaded.row for loaded, _ in routes]


async def _order_of(
    session: AsyncSession, p: _Priced, bound: Mapping[str, str], now: datetime
) -> tuple[OrderRow, Order, IntakeRecord]:
    """The order's row, aggregate and intake record, attributed to its dealer."""
    body, item, products = p.taking.body, p.taking, p.products
    code = body.customer.referral_code
    owners: dict[str, str] = {}
    if code and code.strip():
        wanted = normalise_referral_code(code)
        owners = {
            normalise_referral_code(c): d
            for c, d in (await catalog.referral_owners(session, wanted)).items()
        }
    attribution = attribute(code, bound.get(body.customer.id), owners)
    kept = IntakeRecord.taken(
        body,
        needs_installation=body.needs_installation
        or any(f.needs_installation for f in products.values()),
        sale_lines=sale_lines(body, products),
        pricing=[quote.record() for quote in p.quotes],
        product_names={sku: f.name for sku, f in products.items()},
    )
    actor = item.actor or f"shop:{body.channel}"
    order = Order.receive(
        item.order_id, Fulfilment(body.fulfilment), order_lines(body), now,
        actor, originating_dealer_id=attribution.originating_dealer_id,
        external_id=body.external_id, attribution=attribution.source,
        unknown_referral_code=attribution.unknown_referral_code,
    )  # fmt: skip
    row = OrderRow(
        id=item.order_id, channel=body.channel, external_id=body.external_id,
        region=body.address.region, fingerprint=item.fingerprint, status=str(order.status),
        customer_id=body.customer.id,
        originating_dealer_id=attribution.originating_dealer_id,
        amount=body.amount_minor(), currency=body.currency,
        aggregate=codec.dump(order), intake=kept.to_json(),
        pickup_salt=item.salt.hex() if item.salt else None, pickup_digest=item.digest,
        created_at=now, updated_at=now,
    )  # fmt: skip
    return row, order, kept


__all__ = [
    "Answer",
    "FieldError",
    "IntakeError",
    "OrderConflict",
    "Received",
    "receive_order",
    "receive_orders",
]
