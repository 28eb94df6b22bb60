"""Writing HQ's price rules, each change audited and announced in one transaction.

Setting a floor or creating (or ending) a promotion writes the rule, its audit entry and
the broadcast to the dealers it concerns in the caller's unit of work: all three commit,
or none.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts.public import start_broadcast
from services.catalog import public as catalog
from services.pricing.models import PriceRule, Promotion
from services.pricing.queries import history
from services.pricing.rules import Scope, discount_text
from services.pricing.schemas import Issue, PromotionBody, iso
from shared import audit
from shared.db.uow import UnitOfWork


class RuleError(ValueError):
    """A rule that cannot be set: ``problems`` names each bad field, ``status`` the answer."""

    def __init__(self, problems: list[Issue], status: int = 422) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems
        self.status = status


async def set_floor(
    uow: UnitOfWork,
    *,
    scope: Scope,
    key: str,
    floor: int,
    currency: str,
    effective_at: datetime | None,
    actor: str,
    role: str | None = None,
) -> tuple[PriceRule, bool]:
    """Add a floor version (audited, announced); returns it and False if nothing changed.

    A version taking effect before now would rewrite history, so it is refused. Without
    ``effective_at`` the floor takes effect now; then the same floor as the version in
    force adds nothing, so repeating a PUT changes nothing.
    """
    now = uow.clock.now()
    at = floor_time(effective_at, now)
    same = await unchanged_version(uow.session, scope, key, floor, currency, effective_at, now)
    if same is not None:  # audited as asked, but nothing to change or tell
        audit.record(
            uow.session, now, actor, "price_rule.set", target=f"{scope}:{key}", role=role,
            detail={"rule_id": same.id, "floor": floor, "currency": currency,
                    "effective_at": at.isoformat(), "unchanged": True},
        )  # fmt: skip
        return same, False
    rule = PriceRule(
        scope=scope, key=key, floor=floor, currency=currency, effective_at=at, created_at=now,
        created_by=actor,
    )  # fmt: skip
    uow.session.add(rule)
    await uow.session.flush()
    params = await floor_notice(uow.session, scope, key, floor, currency, at)
    broadcast = await start_broadcast(
        uow, kind="price", params=params, region=None, created_by=actor, requires_ack=True
    )
    audit.record(
        uow.session, now, actor, "price_rule.set", target=f"{scope}:{key}", role=role,
        detail={"rule_id": rule.id, "floor": floor, "currency": currency,
                "effective_at": at.isoformat(), "broadcast_id": broadcast},
    )  # fmt: skip
    return rule, True


def floor_time(effective_at: datetime | None, now: datetime) -> datetime:
    """When a floor asked for at ``effective_at`` takes effect (now if None); RuleError if
    that is in the past, since a version taking effect before now would rewrite history."""
    at = effective_at or now
    if at < now:
        raise RuleError([Issue("effective_at", "past", "is in the past; omit it for now")])
    return at


async def unchanged_version(
    session: AsyncSession,
    scope: Scope,
    key: str,
    floor: int,
    currency: str,
    effective_at: datetime | None,
    now: datetime,
) -> PriceRule | None:
    """The version that already sets ``floor`` then (the one in force, without
    ``effective_at``; else the one taking effect at that time), if there is one: setting it
    again adds nothing and tells nobody."""
    versions = [v for v in await history(session, scope, key) if v.currency == currency]
    if effective_at is None:
        same = [v for v in versions if v.effective_at <= now][-1:]  # the version in force
    else:
        same = [v for v in versions if v.effective_at == effective_at]
    return same[-1] if same and same[-1].floor == floor else None


async def floor_notice(
    session: AsyncSession, scope: Scope, key: str, floor: int, currency: str, at: datetime
) -> dict[str, Any]:
    """The params of the broadcast that announces a floor (``render.check``'s ``price``)."""
    return {
        "sku": key, "name": await _name_of(session, scope, key), "floor": floor,
        "currency": currency, "effective_at": at.isoformat(),
        "scope": scope,  # a category is named per reader
    }  # fmt: skip


async def _name_of(session: AsyncSession, scope: Scope, key: str) -> str:
    if scope == "category":
        return key  # the message names "all products in category …" in each reader's words
    product = (await catalog.products(session, [key])).get(key)
    return product.name if product is not None else key


async def check_promotion(session: AsyncSession, body: PromotionBody, now: datetime) -> list[Issue]:
    """Everything wrong with a promotion: its fields together, and against the catalog."""
    problems = body.problems(now)
    if body.skus:
        known = await catalog.products(session, body.skus)
        for i, sku in enumerate(body.skus):
            product = known.get(sku)
            if product is None:
                problems.append(Issue(f"skus[{i}]", "unknown_sku", f"unknown SKU {sku}",
                                      {"sku": sku}))  # fmt: skip
            elif body.amount_off is not None and product.currency != body.currency:
                problems.append(Issue(
                    f"skus[{i}]", "foreign_sku", f"{sku} is priced in {product.currency}",
                    {"sku": sku, "currency": product.currency},
                ))  # fmt: skip
    if body.categories:
        known_categories = await catalog.categories_in_use(session, body.categories)
        problems += [
            Issue(f"categories[{i}]", "unknown_category", f"no product is in category {c}",
                  {"category": c})
            for i, c in enumerate(body.categories) if c not in known_categories
        ]  # fmt: skip
    return problems


async def create_promotion(
    uow: UnitOfWork, body: PromotionBody, *, actor: str, role: str | None = None
) -> Promotion:
    """Store a checked promotion, audited and announced to each of its regions."""
    now = uow.clock.now()
    problems = await check_promotion(uow.session, body, now)
    if problems:
        raise RuleError(problems)
    promotion = new_promotion(body, now, actor)
    uow.session.add(promotion)
    params = promotion_notice(promotion)
    broadcasts = [
        await start_broadcast(
            uow, kind="promotion", params=params, region=region, created_by=actor,
            requires_ack=True,
        )
        for region in announced_in(promotion)
    ]  # fmt: skip
    audit.record(
        uow.session, now, actor, "promotion.create", target=promotion.id, role=role,
        detail=body.model_dump(mode="json") | {"broadcast_ids": broadcasts},
    )  # fmt: skip
    return promotion


async def end_promotion(
    uow: UnitOfWork, promotion_id: str, *, actor: str, role: str | None = None
) -> Promotion:
    """End a promotion now (audited, announced); RuleError 404 or 409 if it cannot be."""
    now = uow.clock.now()
    promotion = await uow.session.get(Promotion, promotion_id, with_for_update=True)
    if promotion is None:
        raise RuleError([Issue("id", "unknown", f"no promotion {promotion_id!r}")], status=404)
    if promotion.ends_at <= now or (promotion.ended_at is not None and promotion.ended_at <= now):
        message = f"promotion {promotion_id} is already over"
        raise RuleError([Issue("id", "already_over", message)], status=409)
    promotion.ended_at, promotion.ended_by = now, actor
    uow.session.add(promotion)
    params = {"promotion_id": promotion.id, "name": promotion.name}  # each in their language
    broadcasts = [
        await start_broadcast(
            uow, kind="promotion_end", params=params, region=region, created_by=actor,
            requires_ack=False,
        )
        for region in announced_in(promotion)
    ]  # fmt: skip
    audit.record(
        uow.session, now, actor, "promotion.end", target=promotion.id, role=role,
        detail={"ended_at": iso(now), "units_sold": promotion.units_sold,
                "broadcast_ids": broadcasts},
    )  # fmt: skip
    return promotion


def new_promotion(body: PromotionBody, now: datetime, actor: str) -> Promotion:
    """The row a checked promotion is stored as (not added to any session)."""
    return Promotion(
        id="pr_" + secrets.token_hex(6), name=body.name, starts_at=body.starts_at,
        ends_at=body.ends_at, skus=body.skus, categories=body.categories, regions=body.regions,
        percent_off=body.percent_bp, amount_off=body.amount_minor,
        currency=body.currency if body.amount_off is not None else None,
        funded_by=body.funded_by, unit_cap=body.unit_cap, stackable=body.stackable,
        created_at=now, created_by=actor,
    )  # fmt: skip


def promotion_notice(promotion: Promotion) -> dict[str, Any]:
    """The params of the broadcast that announces a promotion (``render.check``'s
    ``promotion``)."""
    return {
        "promotion_id": promotion.id, "name": promotion.name,
        "discount": discount_text(promotion.percent_off, promotion.amount_off,
                                  promotion.currency),
        "starts_at": promotion.starts_at.isoformat(), "ends_at": promotion.ends_at.isoformat(),
        "skus": promotion.skus, "categories": promotion.categories,
    }  # fmt: skip


def announced_in(promotion: Promotion) -> list[str | None]:
    """Where a promotion is announced: each of its regions, or everywhere (None)."""
    return list(promotion.regions) or [None]
