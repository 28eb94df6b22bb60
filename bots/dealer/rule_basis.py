"""What an HQ rule preview stood on, so that Apply refuses once that no longer holds.

A preview shows a change against the rules in force when it was made ("from 1799.00 to
1899.00"; a promotion among those already on its products). Pressed later, after another
change, it would apply what HQ never saw: an older /price preview pressed after a newer
one was applied set the floor back. So each draft keeps its basis, and Apply compares it
with the basis now. A preview is single-use besides (the draft's state).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.pricing.public import PromotionBody, product_floor, promotions_on


async def price_basis(
    session: AsyncSession, product: catalog.Product, at: datetime
) -> dict[str, Any]:
    """The floor in force for ``product`` and what it comes from, and its list price."""
    floor = await product_floor(session, product, at)
    return {
        "floor": floor.amount, "source": floor.source, "rule_id": floor.rule_id,
        "currency": product.currency, "list_price": product.list_price,
    }  # fmt: skip


async def promo_basis(session: AsyncSession, body: PromotionBody, at: datetime) -> dict[str, Any]:
    """The promotions already on the products a new promotion names (by SKU or category)."""
    named = await catalog.products_matching(session, body.skus, body.categories)
    skus = {*body.skus, *(p.sku for p in named)}
    categories = {*body.categories, *(p.category for p in named)}
    return {"promotions": [p.id for p in await promotions_on(session, skus, categories, at)]}
