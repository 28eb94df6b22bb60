"""HQ's previews of a floor or a promotion: what applying it would set and tell, changing nothing.

HQ sees a rule before it is applied, in chat (``/price``, ``/promo``: a preview under Apply)
and over HTTP (``POST /v1/price-rules/preview/…``, ``POST /v1/promotions/preview``), and both
show what these functions find: the rule as it would be stored, the broadcast that would
announce it as each dealer would read it and how many dealer chats it would reach now,
and for a floor the risks HQ must accept knowingly (a floor of 0, or one above a list
price). They check what setting the rule checks and raise the same ``RuleError``; they
write nothing — no rule, no broadcast, no audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts import public as broadcasts
from services.catalog import public as catalog
from services.pricing.models import Promotion
from services.pricing.queries import product_floor
from services.pricing.rules import Floor, Scope, floor_risk
from services.pricing.schemas import Issue, PromotionBody
from services.pricing.store import (
    RuleError,
    announced_in,
    check_promotion,
    floor_notice,
    floor_time,
    new_promotion,
    promotion_notice,
    unchanged_version,
)

PREVIEW_ACTOR = "preview"  # who a previewed promotion names as its maker: nobody made it


@dataclass(frozen=True)
class Risk:
    """A floor HQ must set knowingly: ``free`` (0) or ``above_list`` (above a list price)."""

    code: Literal["free", "above_list"]
    sku: str | None  # the product at risk; None: a category's floor of 0 (all of them)
    name: str  # the product's name, or the category
    list_price: int | None

    def messages(self, floor: int, currency: str) -> dict[str, str]:
        """The warning as chat gives it (``price.risk.*``), in each language."""
        return broadcasts.floor_warnings(
            self.code, self.name, floor, currency, self.list_price, category=self.sku is None
        )


@dataclass(frozen=True)
class FloorPreview:
    """A floor version not set: what it would be, replace, risk and announce."""

    scope: Scope
    key: str
    currency: str
    floor: int
    effective_at: datetime
    in_force: Floor | None  # a SKU's floor in force now (what the new one replaces)
    list_price: int | None  # a SKU's
    unchanged: bool  # already set so: applying adds no version and tells nobody
    risks: list[Risk]
    notice: broadcasts.Preview  # the broadcast that announces it

    @property
    def audience(self) -> int:
        """The dealer chats that would be told: none when nothing would change."""
        return 0 if self.unchanged else self.notice.audience


async def preview_floor(
    session: AsyncSession,
    *,
    scope: Scope,
    key: str,
    floor: int,
    currency: str,
    effective_at: datetime | None,
    now: datetime,
) -> FloorPreview:
    """What ``set_floor`` with these arguments would do; RuleError (404 for a SKU or a
    category the catalog does not have) where it would refuse."""
    at = floor_time(effective_at, now)
    in_force, list_price = None, None
    if scope == "sku":
        product = (await catalog.products(session, [key])).get(key)
        if product is None:
            raise RuleError([Issue("sku", "unknown", f"no product {key!r}")], status=404)
        if product.currency != currency:
            message = f"{key} is priced in {product.currency}"
            raise RuleError([Issue("currency", "foreign", message)])
        products = [product]
        in_force, list_price = await product_floor(session, product, now), product.list_price
    else:
        products = await catalog.products_matching(session, [], [key])
        if not products:
            message = f"no product is in category {key!r}"
            raise RuleError([Issue("category", "unknown", message)], status=404)
    same = await unchanged_version(session, scope, key, floor, currency, effective_at, now)
    params = await floor_notice(session, scope, key, floor, currency, at)
    notice = await broadcasts.preview(session, kind="price", params=params, region=None)
    return FloorPreview(
        scope=scope, key=key, currency=currency, floor=floor, effective_at=at,
        in_force=in_force, list_price=list_price, unchanged=same is not None,
        risks=_risks(scope, key, floor, [p for p in products if p.currency == currency]),
        notice=notice,
    )  # fmt: skip


def _risks(scope: Scope, key: str, floor: int, products: list[catalog.Product]) -> list[Risk]:
    """What a floor risks for the products it applies to (those priced in its currency)."""
    if scope == "category" and floor == 0:
        return [Risk("free", None, key, None)]
    found = []
    for product in products:
        code = floor_risk(floor, product.list_price)
        if code is not None:
            found.append(Risk(code, product.sku, product.name, product.list_price))
    return found


@dataclass(frozen=True)
class PromotionPreview:
    """A promotion not created: the row it would be, and the broadcast of each region."""

    promotion: Promotion  # as it would be stored; never added to a session
    notices: list[broadcasts.Preview]  # one per region (region None: every region)

    @property
    def audience(self) -> int:
        """The dealer chats that would be told, over every region's broadcast."""
        return sum(notice.audience for notice in self.notices)

    @property
    def messages(self) -> dict[str, str]:
        """The announcement as each dealer would read it (the same in every region)."""
        return self.notices[0].messages


async def preview_promotion(
    session: AsyncSession, body: PromotionBody, now: datetime
) -> PromotionPreview:
    """What ``create_promotion`` would make of ``body``; RuleError where it would refuse."""
    problems = await check_promotion(session, body, now)
    if problems:
        raise RuleError(problems)
    promotion = new_promotion(body, now, PREVIEW_ACTOR)
    params = promotion_notice(promotion)
    notices = [
        await broadcasts.preview(session, kind="promotion", params=params, region=region)
        for region in announced_in(promotion)
    ]
    return PromotionPreview(promotion, notices)
