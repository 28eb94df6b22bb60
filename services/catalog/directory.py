"""The catalog as other services and the bot may ask it: does this exist, what is it called?"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog.models import Dealer, Product
from shared.db.engine import Database

CHUNK = 500  # ids per query, well inside every database's limit on parameters


async def dealer_names(session: AsyncSession, dealer_ids: Iterable[str]) -> dict[str, str]:
    """The names people know these dealers by, for those the catalog has, by id."""
    wanted = set(dealer_ids)
    if not wanted:
        return {}
    query = select(Dealer.id, Dealer.name).where(col(Dealer.id).in_(wanted))
    return {dealer_id: name for dealer_id, name in (await session.exec(query)).all() if name}


class CatalogDirectory:
    """Answers questions about products and dealers from the catalog tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def has_dealer(self, dealer_id: str) -> bool:
        """True if the dealer (or warehouse) is registered."""
        async with self.db.read() as session:
            return await session.get(Dealer, dealer_id) is not None

    async def has_product(self, sku: str) -> bool:
        """True if the SKU is in the catalog."""
        async with self.db.read() as session:
            return await session.get(Product, sku) is not None

    async def known_dealers(self, dealer_ids: Iterable[str]) -> set[str]:
        """Those of ``dealer_ids`` that are registered."""
        return await self._known(col(Dealer.id), dealer_ids)

    async def known_products(self, skus: Iterable[str]) -> set[str]:
        """Those of ``skus`` that are in the catalog."""
        return await self._known(col(Product.sku), skus)

    async def _known(self, column: Any, ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(ids))
        found: set[str] = set()
        async with self.db.read() as session:
            for start in range(0, len(wanted), CHUNK):
                query = select(column).where(column.in_(wanted[start : start + CHUNK]))
                found.update((await session.exec(query)).all())
        return found

    async def dealer_name(self, dealer_id: str) -> str:
        """The dealer's name, as chat shows it; the id itself if the catalog has no name."""
        async with self.db.read() as session:
            return (await dealer_names(session, [dealer_id])).get(dealer_id, dealer_id)
