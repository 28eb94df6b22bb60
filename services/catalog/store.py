"""Writing the catalog: products and dealers, replaced whole by HQ's PUTs and imports."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlmodel import col, select

from services.catalog.geo import index_dealer
from services.catalog.models import Dealer, Product
from services.catalog.schemas import DealerBody, ProductBody
from shared.db.uow import UnitOfWork


class CatalogConflict(ValueError):
    """The change clashes with another record (a referral code already in use)."""


async def put_product(uow: UnitOfWork, sku: str, body: ProductBody) -> tuple[Product, bool]:
    """Create or replace a product; returns it and whether it was new."""
    product = await uow.session.get(Product, sku, with_for_update=True)
    created = product is None
    product = product or Product(sku=sku)  # type: ignore[call-arg]
    product.name = body.name
    product.category = body.category
    product.currency = body.currency
    product.list_price = body.minor("list_price")
    product.wholesale_price = body.minor("wholesale_price")
    product.floor_price = body.minor("floor_price")
    product.channel = body.channel
    product.needs_installation = body.needs_installation
    product.updated_at = uow.clock.now()
    uow.session.add(product)
    return product, created


async def put_dealer(
    uow: UnitOfWork, redis: Redis, dealer_id: str, body: DealerBody
) -> tuple[Dealer, bool]:
    """Create or replace a dealer and index where it is; returns it and whether it was new."""
    if body.referral_code:
        holder = (
            await uow.session.exec(
                select(Dealer.id).where(
                    col(Dealer.referral_code) == body.referral_code, col(Dealer.id) != dealer_id
                )
            )
        ).first()
        if holder is not None:
            raise CatalogConflict(
                f"referral code {body.referral_code!r} belongs to dealer {holder}"
            )
    dealer = await uow.session.get(Dealer, dealer_id, with_for_update=True)
    created = dealer is None
    dealer = dealer or Dealer(id=dealer_id)  # type: ignore[call-arg]
    for field, value in body.model_dump().items():
        setattr(dealer, field, value)
    dealer.updated_at = uow.clock.now()
    uow.session.add(dealer)
    snapshot = Dealer.model_validate(dealer.model_dump())
    uow.after_commit(lambda: index_dealer(redis, snapshot))
    return dealer, created
