"""The catalog as other services' routes may ask it: does this dealer or SKU exist?"""

from __future__ import annotations

from services.catalog.models import Dealer, Product
from shared.db.engine import Database


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
