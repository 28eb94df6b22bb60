"""The catalog's public face: what other services and the bot may ask of it.

Products and dealers are the catalog's tables; others read them only through these
functions (the rows they return are for reading), so the catalog may change how it
stores them. ``stores`` and ``dealer_regions`` are subqueries for other services' SQL (a
join stays one query).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from services.catalog.directory import CatalogDirectory, dealer_names
from services.catalog.geo import Reach, reach, reach_many, rebuild
from services.catalog.handlers import set_dealer_paused
from services.catalog.models import Dealer, Product
from services.catalog.schemas import valid_id
from shared.regions import region_key

__all__ = [
    "CatalogDirectory",
    "Dealer",
    "Product",
    "Reach",
    "categories_in_use",
    "dealer",
    "dealer_names",
    "dealer_regions",
    "dealers",
    "products",
    "products_matching",
    "reach",
    "reach_many",
    "rebuild",
    "referral_owners",
    "set_dealer_paused",
    "stores",
    "valid_id",
]


_PRODUCTS = select(Product).order_by(col(Product.sku))
_PRODUCTS_OF = _PRODUCTS.where(col(Product.sku).in_(bindparam("skus", expanding=True)))
_DEALERS_OF = select(Dealer).where(col(Dealer.id).in_(bindparam("ids", expanding=True)))


async def products(session: AsyncSession, skus: Iterable[str] | None = None) -> dict[str, Product]:
    """The products of ``skus`` the catalog has (every product when None), by SKU."""
    if skus is None:
        found = await session.exec(_PRODUCTS)
    else:
        found = await session.exec(_PRODUCTS_OF, params={"skus": sorted(set(skus))})
    return {p.sku: p for p in found.all()}


async def products_matching(
    session: AsyncSession, skus: Iterable[str], categories: Iterable[str]
) -> list[Product]:
    """The products that are one of ``skus`` or in one of ``categories``."""
    query = select(Product).where(
        col(Product.sku).in_(set(skus)) | col(Product.category).in_(set(categories))
    )
    return list((await session.exec(query.order_by(col(Product.sku)))).all())


async def categories_in_use(session: AsyncSession, categories: Iterable[str]) -> set[str]:
    """Those of ``categories`` that some product is in."""
    query = select(Product.category).where(col(Product.category).in_(set(categories)))
    return set((await session.exec(query.distinct())).all())


async def dealer(session: AsyncSession, dealer_id: str) -> Dealer | None:
    """One dealer (a store or HQ's warehouse), or None."""
    return await session.get(Dealer, dealer_id)


async def dealers(session: AsyncSession, dealer_ids: Iterable[str]) -> list[Dealer]:
    """The dealers of ``dealer_ids`` the catalog has."""
    found = await session.exec(_DEALERS_OF, params={"ids": sorted(set(dealer_ids))})
    return list(found.all())


async def referral_owners(session: AsyncSession, code: str) -> dict[str, str]:
    """Each referral code equal to ``code`` (ignoring case) as stored, with its dealer."""
    query = select(Dealer.referral_code, Dealer.id).where(
        func.upper(col(Dealer.referral_code)) == code.upper()
    )
    return {stored or "": dealer_id for stored, dealer_id in (await session.exec(query)).all()}


async def dealer_regions(session: AsyncSession, region: str | None = None) -> Select[str, str]:
    """A query of every dealer's id and region (stores and warehouses), of ``region`` if
    given, in any spelling (as ``stores``): for other services' SQL to join."""
    query = select(Dealer.id, Dealer.region)
    if region is not None:
        query = query.where(col(Dealer.region).in_(await _spellings(session, region)))
    return query


async def _spellings(session: AsyncSession, region: str) -> list[str]:
    """The regions dealers are stored with that are ``region``, however it is spelt."""
    wanted = region_key(region)
    stored = (await session.exec(select(Dealer.region).distinct())).all()
    return [r for r in stored if region_key(r) == wanted]


async def stores(session: AsyncSession, region: str | None = None) -> SelectOfScalar[str]:
    """A subquery of the ids of the stores (not warehouses), of ``region`` if given.

    Regions are stored as typed (``sichuan``, ``四川``, ``Sichuan``); ``region`` matches
    any spelling of the same region (``shared.regions``).
    """
    query = select(Dealer.id).where(col(Dealer.warehouse).is_(False))
    if region is not None:
        query = query.where(col(Dealer.region).in_(await _spellings(session, region)))
    return query
