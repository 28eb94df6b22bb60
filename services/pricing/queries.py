"""Reading HQ's price rules: what order intake, the API and /prices need to know.

Nothing here writes except ``claim_units``, which counts promotional units in the order's
own transaction. Order intake depends on this module only, not on the broadcasts that
rule changes send (``services.pricing.store``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.pricing.models import PriceRule, Promotion
from services.pricing.rules import Floor, FloorRule, Scope, Terms, floor_in_force
from shared.regions import region_key


class PromotionGone(Exception):
    """A promotion ran out of units (or ended) between pricing an order and storing it."""


def as_floor_rule(row: PriceRule) -> FloorRule:
    """The pure view of a stored floor version."""
    assert row.id is not None
    scope: Scope = "category" if row.scope == "category" else "sku"
    return FloorRule(row.id, scope, row.key, row.floor, row.currency, row.effective_at)


def as_terms(row: Promotion) -> Terms:
    """The pure view of a stored promotion."""
    return Terms(
        id=row.id, starts_at=row.starts_at, ends_at=row.ends_at, skus=frozenset(row.skus),
        categories=frozenset(row.categories),
        regions=frozenset(region_key(r) for r in row.regions), percent_bp=row.percent_off,
        amount_off=row.amount_off, currency=row.currency,
        funded_by=row.funded_by,  # type: ignore[arg-type]
        unit_cap=row.unit_cap, units_sold=row.units_sold, stackable=row.stackable,
        ended_at=row.ended_at,
    )  # fmt: skip


# Statements built once: building one costs more than running it (see docs/benchmarks.md).
_FLOORS = select(PriceRule).where(
    or_(
        and_(
            col(PriceRule.scope) == "sku", col(PriceRule.key).in_(bindparam("skus", expanding=True))
        ),
        and_(
            col(PriceRule.scope) == "category",
            col(PriceRule.key).in_(bindparam("categories", expanding=True)),
        ),
    )
)
_FLOORS_BY = _FLOORS.where(col(PriceRule.effective_at) <= bindparam("until"))


async def floor_rules(
    session: AsyncSession, skus: Iterable[str], categories: Iterable[str], until: datetime | None
) -> list[FloorRule]:
    """Every floor version of these SKUs and categories (in effect by ``until``, if given)."""
    params: dict[str, Any] = {"skus": sorted(set(skus)), "categories": sorted(set(categories))}
    query = _FLOORS if until is None else _FLOORS_BY
    if until is not None:
        params["until"] = until
    return [as_floor_rule(r) for r in (await session.exec(query, params=params)).all()]


def _not_over(at: Any) -> Any:
    return and_(
        col(Promotion.ends_at) > at,
        or_(col(Promotion.ended_at).is_(None), col(Promotion.ended_at) > at),
    )


_LIVE = select(Promotion).where(
    col(Promotion.starts_at) <= bindparam("at"), _not_over(bindparam("at"))
)


async def live_promotions(session: AsyncSession, at: datetime) -> list[Terms]:
    """The promotions live at ``at``."""
    return [as_terms(p) for p in (await session.exec(_LIVE, params={"at": at})).all()]


async def pricing_inputs(
    session: AsyncSession, skus: Iterable[str], categories: Iterable[str], at: datetime
) -> tuple[list[FloorRule], list[Terms]]:
    """What ``rules.quote_order`` needs for an order at ``at``: two queries."""
    return await floor_rules(session, skus, categories, at), await live_promotions(session, at)


async def claim_units(session: AsyncSession, used: dict[str, int], at: datetime) -> None:
    """Count units sold under promotions, atomically within their caps; else PromotionGone.

    Each count is one conditional ``UPDATE``: it adds only if the cap still has room and
    the promotion is still live, and it holds the row until the order's transaction ends,
    so two orders racing for the last units cannot both have them.
    """
    for promotion_id in sorted(used):  # one lock order for every order: no deadlocks
        qty = used[promotion_id]
        statement = (
            update(Promotion)
            .where(
                col(Promotion.id) == promotion_id,
                or_(
                    col(Promotion.unit_cap).is_(None),
                    col(Promotion.units_sold) + qty <= col(Promotion.unit_cap),
                ),
                col(Promotion.starts_at) <= at,
                _not_over(at),
            )
            .values(units_sold=col(Promotion.units_sold) + qty)
        )
        result = await session.exec(statement)
        if result.rowcount != 1:
            raise PromotionGone(promotion_id)


async def release_units(session: AsyncSession, used: dict[str, int]) -> None:
    """Give units back to their promotions' caps (a cancelled order, returned units)."""
    for promotion_id in sorted(used):  # the same lock order as claim_units
        qty = used[promotion_id]
        await session.exec(
            update(Promotion)
            .where(col(Promotion.id) == promotion_id)
            .values(
                units_sold=case(
                    (col(Promotion.units_sold) >= qty, col(Promotion.units_sold) - qty), else_=0
                )
            )
        )


async def promotions_on(
    session: AsyncSession, skus: Iterable[str], categories: Iterable[str], at: datetime
) -> list[Promotion]:
    """The promotions not over at ``at`` that name any of these SKUs or categories."""
    skus, categories = set(skus), set(categories)
    query = select(Promotion).where(_not_over(at)).order_by(col(Promotion.id))
    return [
        p for p in (await session.exec(query)).all()
        if skus & set(p.skus) or categories & set(p.categories)
    ]  # fmt: skip


async def history(session: AsyncSession, scope: Scope, key: str) -> list[PriceRule]:
    """Every floor version of a SKU or category, oldest first."""
    query = (
        select(PriceRule)
        .where(col(PriceRule.scope) == scope, col(PriceRule.key) == key)
        .order_by(col(PriceRule.effective_at), col(PriceRule.id))
    )
    return list((await session.exec(query)).all())


def in_force_ids(versions: Sequence[PriceRule], at: datetime) -> set[int]:
    """The ids of the versions in force at ``at``, one per currency."""
    newest: dict[str, PriceRule] = {}
    for row in versions:
        if row.effective_at <= at:
            newest[row.currency] = row  # versions come oldest first
    return {row.id for row in newest.values() if row.id is not None}


async def product_floor(session: AsyncSession, product: catalog.Product, at: datetime) -> Floor:
    """The floor in force for a product at ``at``."""
    rules = await floor_rules(session, [product.sku], [product.category], at)
    return floor_in_force(
        product.sku, product.category, product.currency, product.floor_price, rules, at
    )


@dataclass(frozen=True)
class ProductFloor:
    """A product's floor in force and the next version already set for later, if any."""

    sku: str
    name: str
    currency: str
    floor: Floor
    next_floor: FloorRule | None


async def price_list(
    session: AsyncSession, region: str | None, at: datetime
) -> tuple[list[ProductFloor], list[Promotion]]:
    """Floors of every product, and promotions live or to come in ``region`` (None: all)."""
    products = list((await catalog.products(session)).values())
    rules = await floor_rules(
        session, [p.sku for p in products], {p.category for p in products}, None
    )
    floors = []
    for p in products:
        now = floor_in_force(p.sku, p.category, p.currency, p.floor_price, rules, at)
        later = [
            r for r in rules
            if r.effective_at > at and r.currency == p.currency
            and ((r.scope == "sku" and r.key == p.sku)
                 or (r.scope == "category" and r.key == p.category))
        ]  # fmt: skip
        upcoming = min(later, key=lambda r: (r.effective_at, r.id), default=None)
        floors.append(ProductFloor(p.sku, p.name, p.currency, now, upcoming))
    query = select(Promotion).where(_not_over(at)).order_by(col(Promotion.starts_at))
    wanted = region_key(region) if region else None
    promotions = [
        p for p in (await session.exec(query)).all()
        if wanted is None or not p.regions or wanted in {region_key(r) for r in p.regions}
    ]  # fmt: skip
    return floors, promotions
