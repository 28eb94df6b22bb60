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

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog.models import Product
from services.pricing.queries import product_floor, promotions_on
from services.pricing.schemas import PromotionBody


async def price_basis(session: AsyncSession, product: Product, at: datetime) -> dict[str, Any]:
    """The floor in force for ``product`` and what it comes from, and its list price."""
    floor = await product_floor(session, product, at)
    return {
        "floor": floor.amount, "source": floor.source, "rule_id": floor.rule_id,
        "currency": product.currency, "list_price": product.list_price,
    }  # fmt: skip


async def promo_basis(session: AsyncSession, body: PromotionBody, at: datetime) -> dict[str, Any]:
    """The promotions already on the products a new promotion names (by SKU or category)."""
    named = select(Product.sku, Product.category).where(
        col(Product.sku).in_(body.skus) | col(Product.category).in_(body.categories)
    )
    rows = (await session.exec(named)).all()
    skus = {*body.skus, *(sku for sku, _ in rows)}
    categories = {*body.categories, *(category for _, category in rows)}
    return {"promotions": [p.id for p in await promotions_on(session, skus, categories, at)]}


def floor_risk(floor: int, product: Product) -> str | None:
    """Why a new floor needs HQ to confirm it knowingly: ``free``, ``above_list``; or None."""
    if floor == 0:
        return "free"
    if floor > product.list_price:
        return "above_list"
    return None
