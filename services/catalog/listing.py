"""The catalog as lists: dealers and products, filtered, a page at a time.

Both are directories, sorted by their id (a dealer's id, a product's SKU): a key that never
changes, so a page never skips or repeats an entry that was edited while HQ paged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog.models import Dealer, Product


@dataclass(frozen=True)
class DealerFilter:
    """What a list of dealers is narrowed to; None leaves a field open."""

    region: str | None = None
    paused: bool | None = None
    capability: str | None = None
    text: str | None = None  # in the id, name or city, any case


@dataclass(frozen=True)
class ProductFilter:
    """What a list of products is narrowed to; None leaves a field open."""

    category: str | None = None
    channel: str | None = None
    text: str | None = None  # in the SKU or name, any case


async def list_dealers(
    session: AsyncSession, where: DealerFilter, limit: int, after: str | None
) -> list[Dealer]:
    """Up to ``limit`` dealers matching ``where`` by id, after the id ``after``."""
    statement = select(Dealer).order_by(col(Dealer.id)).limit(limit)
    if where.region is not None:
        statement = statement.where(col(Dealer.region) == where.region)
    if where.paused is not None:
        statement = statement.where(col(Dealer.paused) == where.paused)
    if where.capability is not None:
        # A JSON list of words, as text on SQLite and PostgreSQL alike: the quoted word.
        listed = cast(col(Dealer.capabilities), String)
        statement = statement.where(listed.contains(f'"{where.capability}"', autoescape=True))
    if where.text:
        statement = statement.where(_any_contains(where.text, Dealer.id, Dealer.name, Dealer.city))
    if after is not None:
        statement = statement.where(col(Dealer.id) > after)
    return list((await session.exec(statement)).all())


async def list_products(
    session: AsyncSession, where: ProductFilter, limit: int, after: str | None
) -> list[Product]:
    """Up to ``limit`` products matching ``where`` by SKU, after the SKU ``after``."""
    statement = select(Product).order_by(col(Product.sku)).limit(limit)
    if where.category is not None:
        statement = statement.where(col(Product.category) == where.category)
    if where.channel is not None:
        statement = statement.where(col(Product.channel) == where.channel)
    if where.text:
        statement = statement.where(_any_contains(where.text, Product.sku, Product.name))
    if after is not None:
        statement = statement.where(col(Product.sku) > after)
    return list((await session.exec(statement)).all())


def _any_contains(text: str, *columns: Any) -> Any:
    """Rows where one of ``columns`` holds ``text``, ignoring case; LIKE's wildcards in
    ``text`` are matched as themselves."""
    wanted = text.lower()
    return or_(*(func.lower(col(c)).contains(wanted, autoescape=True) for c in columns))
