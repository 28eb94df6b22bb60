"""HTTP routes of HQ's price rules: floors by SKU or category, and promotions.

A change needs a key with the ``pricing:write`` scope, which only HQ's keys hold; each is
audited with the key as its actor (``key:<id>/<name>``) in HQ's role. Each change has a
preview with the same body and the same checks (``services.pricing.preview``, which chat's
previews share) that changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.pricing.models import PriceRule, Promotion
from services.pricing.preview import FloorPreview, preview_floor, preview_promotion
from services.pricing.queries import history, in_force_ids, product_floor
from services.pricing.rules import Scope
from services.pricing.schemas import (
    FloorPreviewView,
    FloorVersionView,
    Issue,
    PriceRuleBody,
    PriceRulesView,
    PromotionBody,
    PromotionDraftView,
    PromotionList,
    PromotionPreviewView,
    PromotionView,
    RegionAudience,
    RiskView,
    iso,
    promotion_state,
    validation_context,
    version_view,
)
from services.pricing.store import RuleError, create_promotion, end_promotion, set_floor
from shared.db.uow import unit_of_work
from shared.http.access import caller
from shared.http.context import RUNTIME
from shared.http.errors import ApiError, invalid, read_json
from shared.http.lists import answer_list, list_params, wants_csv
from shared.http.openapi import RouteTable
from shared.http.params import (
    Choice,
    Text,
    encode_cursor,
    one_key,
    query,
    time_and_id,
)
from shared.money import MoneyError, format_amount, parse_amount
from shared.regions import region_key
from shared.runtime import Runtime

ROLE = "hq"
STATES = ("scheduled", "live", "ended")
MAX_PAGE = 500
M = TypeVar("M", bound=BaseModel)


ROUTES = RouteTable()


@ROUTES.route(
    "PUT", "/v1/price-rules/{sku}", scope="pricing:write", limit="pricing",
    summary="Add a floor version for a SKU",
    body=PriceRuleBody, response=PriceRulesView,
)  # fmt: skip
async def put_sku_rule(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    sku = _path(request, "sku")
    body = await _body(request, PriceRuleBody, runtime)
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        product, floor = await _sku_floor(uow.session, sku, body)
        _, created = await _set(uow, "sku", sku, floor, product.currency, body, _actor(request))
        view = await _sku_view(uow.session, product, uow.clock.now())
    return _json(view, 201 if created else 200)


@ROUTES.route(
    "POST", "/v1/price-rules/preview/{sku}", scope="pricing:write", limit="reads",
    summary="What PUT /v1/price-rules/{sku} would set and announce; changes nothing",
    body=PriceRuleBody, response=FloorPreviewView,
)  # fmt: skip
async def preview_sku_rule(request: web.Request) -> web.StreamResponse:
    """The PUT's checks and 4xx answers, then what it would do: nothing is stored,
    audited or sent."""
    runtime = request.app[RUNTIME]
    sku = _path(request, "sku")
    body = await _body(request, PriceRuleBody, runtime)
    async with runtime.db.read() as session:
        product, floor = await _sku_floor(session, sku, body)
        shown = await _preview_floor(session, "sku", sku, floor, product.currency, body, runtime)
    return _json(_floor_preview(shown).model_dump())


async def _sku_floor(
    session: AsyncSession, sku: str, body: PriceRuleBody
) -> tuple[catalog.Product, int]:
    """The product a SKU's floor is for, and the floor in its minor units; 404, 422."""
    product = await _product(session, sku)
    problems: list[Issue] = []
    if body.currency is not None and body.currency != product.currency:
        message = f"{sku} is priced in {product.currency}"
        problems.append(Issue("currency", "foreign", message))
    floor = _floor(body.floor, product.currency, problems)
    if problems:
        raise _invalid(problems)
    return product, floor


@ROUTES.route(
    "GET", "/v1/price-rules/{sku}", scope="pricing:read",
    summary="A SKU's floor in force and a page of its history, oldest first; as CSV, the "
    "whole history",
    response=PriceRulesView, query=list_params(MAX_PAGE),
)  # fmt: skip
async def get_sku_rules(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    sku = _path(request, "sku")
    async with runtime.db.read() as session:
        product = await _product(session, sku)
        if wants_csv(request):
            return await _history_csv(request, "sku", sku, product.currency)
        return _json(await _sku_view(session, product, runtime.clock.now(), _Page.of(request)))


@ROUTES.route(
    "PUT", "/v1/price-rules/category/{category}", scope="pricing:write", limit="pricing",
    summary="Add a floor version for every product of a category (in its currency)",
    body=PriceRuleBody, response=PriceRulesView,
)  # fmt: skip
async def put_category_rule(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    category = _category(request)
    body = await _body(request, PriceRuleBody, runtime)
    floor, currency = _category_floor(body)
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        await _category_used(uow.session, category)
        _, created = await _set(uow, "category", category, floor, currency, body, _actor(request))
        view = await _category_view(uow.session, category, uow.clock.now())
    return _json(view, 201 if created else 200)


@ROUTES.route(
    "POST", "/v1/price-rules/preview/category/{category}", scope="pricing:write",
    limit="reads",
    summary="What PUT /v1/price-rules/category/{category} would set and announce; changes "
    "nothing",
    body=PriceRuleBody, response=FloorPreviewView,
)  # fmt: skip
async def preview_category_rule(request: web.Request) -> web.StreamResponse:
    """The PUT's checks and 4xx answers, then what it would do: nothing is stored,
    audited or sent."""
    runtime = request.app[RUNTIME]
    category = _category(request)
    body = await _body(request, PriceRuleBody, runtime)
    floor, currency = _category_floor(body)
    async with runtime.db.read() as session:
        await _category_used(session, category)
        shown = await _preview_floor(session, "category", category, floor, currency, body, runtime)
    return _json(_floor_preview(shown).model_dump())


def _category_floor(body: PriceRuleBody) -> tuple[int, str]:
    """A category floor in minor units, and its currency (which it must name); 422."""
    if body.currency is None:
        raise _invalid([Issue("currency", "missing", "required for a category floor")])
    problems: list[Issue] = []
    floor = _floor(body.floor, body.currency, problems)
    if problems:
        raise _invalid(problems)
    return floor, body.currency


async def _category_used(session: AsyncSession, category: str) -> None:
    if not await catalog.categories_in_use(session, [category]):
        raise ApiError(404, "not_found", f"no product is in category {category!r}")


async def _preview_floor(
    session: AsyncSession, scope: Scope, key: str, floor: int, currency: str,
    body: PriceRuleBody, runtime: Runtime,
) -> FloorPreview:  # fmt: skip
    try:
        return await preview_floor(
            session, scope=scope, key=key, floor=floor, currency=currency,
            effective_at=body.effective_at, now=runtime.clock.now(),
        )  # fmt: skip
    except RuleError as exc:
        raise _invalid(exc.problems, exc.status) from None


def _floor_preview(shown: FloorPreview) -> FloorPreviewView:
    currency = shown.currency
    return FloorPreviewView(
        scope=shown.scope, key=shown.key, currency=currency,
        floor=format_amount(shown.floor, currency), effective_at=iso(shown.effective_at) or "",
        floor_in_force=format_amount(shown.in_force.amount, currency) if shown.in_force else None,
        source=shown.in_force.source if shown.in_force else None,
        list_price=format_amount(shown.list_price, currency)
        if shown.list_price is not None else None,
        unchanged=shown.unchanged,
        warnings=[
            RiskView(code=r.code, sku=r.sku, messages=r.messages(shown.floor, currency))
            for r in shown.risks
        ],
        audience=shown.audience, messages=shown.notice.messages,
    )  # fmt: skip


@ROUTES.route(
    "GET", "/v1/price-rules/category/{category}", scope="pricing:read",
    summary="A page of a category's floor history, oldest first; as CSV, the whole history",
    response=PriceRulesView, query=list_params(MAX_PAGE),
)  # fmt: skip
async def get_category_rules(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    category = _category(request)
    if wants_csv(request):
        return await _history_csv(request, "category", category)
    async with runtime.db.read() as session:
        return _json(
            await _category_view(session, category, runtime.clock.now(), _Page.of(request))
        )


async def _history_csv(
    request: web.Request, scope: Scope, key: str, currency: str | None = None
) -> web.StreamResponse:
    """A floor's history as CSV, oldest first (finance's record of what was in force when)."""
    runtime = request.app[RUNTIME]

    async def read(cursor: list[str | int] | None, limit: int) -> list[FloorVersionView]:
        after = int(cursor[0]) if cursor else 0
        async with runtime.db.read() as session:
            versions = await history(session, scope, key)
        priced = [v for v in versions if currency is None or v.currency == currency]
        current = in_force_ids(priced, runtime.clock.now())
        return _Page(limit, after).views(versions, current)[0]

    return await answer_list(request, "versions", FloorVersionView, read, lambda v: (v.id,))


@ROUTES.route(
    "POST", "/v1/promotions", scope="pricing:write", limit="pricing",
    summary="Create a promotion (announced to its regions)",
    body=PromotionBody, response=PromotionView, status=201,
)  # fmt: skip
async def post_promotion(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    body = await _body(request, PromotionBody, runtime)
    try:
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            promotion = await create_promotion(uow, body, actor=_actor(request), role=ROLE)
    except RuleError as exc:
        raise _invalid(exc.problems, exc.status) from None
    return _json(PromotionView.of(promotion, runtime.clock.now()).model_dump(), 201)


@ROUTES.route(
    "POST", "/v1/promotions/preview", scope="pricing:write", limit="reads",
    summary="What POST /v1/promotions would create and announce; changes nothing",
    body=PromotionBody, response=PromotionPreviewView,
)  # fmt: skip
async def preview_promotion_route(request: web.Request) -> web.StreamResponse:
    """The POST's checks and 422 answers, then what it would do: nothing is stored,
    audited or sent."""
    runtime = request.app[RUNTIME]
    body = await _body(request, PromotionBody, runtime)
    now = runtime.clock.now()
    try:
        async with runtime.db.read() as session:
            shown = await preview_promotion(session, body, now)
    except RuleError as exc:
        raise _invalid(exc.problems, exc.status) from None
    terms = PromotionView.of(shown.promotion, now).model_dump(
        include=set(PromotionDraftView.model_fields)
    )
    view = PromotionPreviewView(
        promotion=PromotionDraftView(**terms),
        broadcasts=[RegionAudience(region=n.region, audience=n.audience) for n in shown.notices],
        audience=shown.audience, messages=shown.messages,
    )  # fmt: skip
    return _json(view.model_dump())


@ROUTES.route(
    "GET", "/v1/promotions", scope="pricing:read",
    summary="Promotions, newest first; as CSV, every one from the cursor on",
    response=PromotionList,
    query=[
        Choice("state", "only promotions in this state now", choices=STATES),
        Text("region", "only promotions in this region (Chinese or English, any case)",
             default=""),
        *list_params(MAX_PAGE),
    ],
)  # fmt: skip
async def list_promotions(request: web.Request) -> web.StreamResponse:
    """Promotions, newest first, those of the state and region asked for."""
    runtime = request.app[RUNTIME]
    state = query(request)["state"]
    typed = query(request)["region"].strip()
    region = region_key(typed) if typed else ""  # 四川 and Sichuan are one region

    def wanted(promotion: Promotion, now: datetime) -> bool:
        return (state is None or promotion_state(promotion, now) == state) and (
            not region
            or not promotion.regions
            or region in {region_key(r) for r in promotion.regions}
        )

    async def read(cursor: list[str | int] | None, limit: int) -> list[PromotionView]:
        # The filters are read in Python: read on until ``limit`` pass or none are left.
        after = time_and_id(cursor, "promotions") if cursor else None
        now, found = runtime.clock.now(), list[PromotionView]()
        async with runtime.db.read() as session:
            while len(found) < limit:
                rows = await _promotions_after(session, after, limit)
                found += [PromotionView.of(p, now) for p in rows if wanted(p, now)]
                if len(rows) < limit:
                    break
                after = (rows[-1].created_at, rows[-1].id)
        return found[:limit]

    return await answer_list(
        request, "promotions", PromotionView, read, lambda p: (p.created_at, p.id)
    )


async def _promotions_after(
    session: AsyncSession, after: tuple[datetime, str] | None, limit: int
) -> list[Promotion]:
    """Up to ``limit`` promotions, newest first, after the (created time, id) ``after``."""
    newest = select(Promotion).order_by(col(Promotion.created_at).desc(), col(Promotion.id))
    if after is not None:
        at, last_id = after
        newest = newest.where(
            (col(Promotion.created_at) < at)
            | ((col(Promotion.created_at) == at) & (col(Promotion.id) > last_id))
        )
    return list((await session.exec(newest.limit(limit))).all())


@ROUTES.route(
    "GET",
    "/v1/promotions/{promotion_id}",
    scope="pricing:read",
    summary="One promotion",
    response=PromotionView,
)
async def get_promotion(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    promotion_id = request.match_info["promotion_id"]
    async with runtime.db.read() as session:
        promotion = await session.get(Promotion, promotion_id)
    if promotion is None:
        raise ApiError(404, "not_found", f"no promotion {promotion_id!r}")
    return _json(PromotionView.of(promotion, runtime.clock.now()).model_dump())


@ROUTES.route(
    "POST", "/v1/promotions/{promotion_id}/end", scope="pricing:write", limit="pricing",
    summary="End a promotion now",
    response=PromotionView, errors=[409],
)  # fmt: skip
async def end_promotion_route(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    promotion_id = request.match_info["promotion_id"]
    try:
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            promotion = await end_promotion(uow, promotion_id, actor=_actor(request), role=ROLE)
    except RuleError as exc:
        code = {404: "not_found", 409: "conflict"}.get(exc.status, "invalid")
        raise ApiError(exc.status, code, exc.problems[0].message, field="promotion_id") from None
    return _json(PromotionView.of(promotion, runtime.clock.now()).model_dump())


def _actor(request: web.Request) -> str:
    return caller(request).actor


async def _set(
    uow: Any, scope: Scope, key: str, floor: int, currency: str, body: PriceRuleBody, actor: str
) -> tuple[Any, bool]:
    try:
        return await set_floor(
            uow, scope=scope, key=key, floor=floor, currency=currency,
            effective_at=body.effective_at, actor=actor, role=ROLE,
        )  # fmt: skip
    except RuleError as exc:
        raise _invalid(exc.problems, exc.status) from None


@dataclass(frozen=True)
class _Page:
    """A page of a floor history: up to ``limit`` versions after the version ``after``."""

    limit: int = 100
    after: int = 0

    @classmethod
    def of(cls, request: web.Request) -> _Page:
        limit, cursor = (query(request)[k] for k in ("limit", "cursor"))
        return cls(limit, one_key(cursor, int, "a floor history") or 0)

    def views(
        self, versions: Sequence[PriceRule], current: set[int]
    ) -> tuple[list[FloorVersionView], str | None]:
        """This page's versions (oldest first) and the cursor of the next page, if any."""
        later = [v for v in versions if (v.id or 0) > self.after]
        shown = later[: self.limit]
        following = encode_cursor(shown[-1].id or 0) if len(later) > self.limit else None
        return [version_view(v, v.id in current) for v in shown], following


async def _sku_view(
    session: AsyncSession, product: catalog.Product, now: datetime, page: _Page = _Page()
) -> dict[str, Any]:
    versions = await history(session, "sku", product.sku)
    current = in_force_ids([v for v in versions if v.currency == product.currency], now)
    floor = await product_floor(session, product, now)
    shown, following = page.views(versions, current)
    return PriceRulesView(
        scope="sku", key=product.sku, currency=product.currency,
        base_floor=format_amount(product.floor_price, product.currency),
        floor_in_force=format_amount(floor.amount, product.currency), source=floor.source,
        versions=shown, next_cursor=following,
    ).model_dump()  # fmt: skip


async def _category_view(
    session: AsyncSession, category: str, now: datetime, page: _Page = _Page()
) -> dict[str, Any]:
    versions = await history(session, "category", category)
    shown, following = page.views(versions, in_force_ids(versions, now))
    return PriceRulesView(
        scope="category", key=category, versions=shown, next_cursor=following
    ).model_dump()


async def _product(session: AsyncSession, sku: str) -> catalog.Product:
    product = (await catalog.products(session, [sku])).get(sku)
    if product is None:
        raise ApiError(404, "not_found", f"no product {sku!r}")
    return product


def _floor(text: str, currency: str, problems: list[Issue]) -> int:
    try:
        return parse_amount(text, currency)
    except MoneyError as exc:
        problems.append(Issue("floor", "bad_amount", str(exc)))
        return 0


async def _body(request: web.Request, model: type[M], runtime: Runtime) -> M:
    data = await read_json(request)
    zone = ZoneInfo(runtime.settings.hq_timezone)
    try:
        return model.model_validate(data, context=validation_context(zone))
    except ValidationError as exc:
        raise invalid(exc) from None


def _invalid(problems: list[Issue], status: int = 422) -> ApiError:
    if status == 404:
        return ApiError(404, "not_found", problems[0].message)
    fields = [{"field": p.field, "message": p.message} for p in problems]
    return ApiError(status, "invalid", "some fields are invalid", fields=fields)


def _path(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not catalog.valid_id(value):
        raise _invalid([Issue(name, "bad", "use 1 to 64 letters, digits, or _ . : -")])
    return value


def _category(request: web.Request) -> str:
    value = request.match_info["category"].strip()
    if not 1 <= len(value) <= 64:
        raise _invalid([Issue("category", "bad", "use 1 to 64 characters")])
    return value


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)
