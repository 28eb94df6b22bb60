"""The catalog as other services' routes may ask it: does this dealer or SKU exist?"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select

from services.catalog.models import Dealer, Product
from shared.db.engine import Database

CHUNK = 500  # ids per query, well inside every database's limit on parameters


class CatalogDirectory:
    """Answers existence questions from the catalog tables."""

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
