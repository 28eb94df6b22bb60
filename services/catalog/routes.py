"""HTTP routes of the catalog: HQ's and the shop's view of products and dealers."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from services.catalog.listing import DealerFilter, ProductFilter, list_dealers, list_products
from services.catalog.models import Dealer, Product
from services.catalog.schemas import (
    DealerBody,
    DealerView,
    ProductBody,
    ProductView,
    valid_id,
)
from services.catalog.store import CatalogConflict, put_dealer, put_product
from shared.audit import record
from shared.db.uow import UnitOfWork, unit_of_work
from shared.http.access import caller
from shared.http.context import RUNTIME
from shared.http.errors import ApiError, read_body
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import Choice, Flag, Text, one_key, query

ROUTES = RouteTable()
MAX_LIMIT = 1_000


class ProductsPage(BaseModel):
    """Products by SKU; ``next_cursor`` asks for the page after (null: no more)."""

    products: list[ProductView]
    next_cursor: str | None


class DealersPage(BaseModel):
    """Dealers by id; ``next_cursor`` asks for the page after (null: no more)."""

    dealers: list[DealerView]
    next_cursor: str | None


@ROUTES.route(
    "GET", "/v1/products", scope="catalog:read",
    summary="Products by SKU, filtered; as CSV, every one from the cursor on",
    response=ProductsPage,
    query=[
        Text("category", "only this category"),
        Choice("channel", "only products sold through this channel",
               choices=("both", "online_only", "offline_only")),
        Text("q", "text in the SKU or the name, any case"),
        *list_params(MAX_LIMIT),
    ],
)  # fmt: skip
async def get_products(request: web.Request) -> web.StreamResponse:
    """The catalog's products."""
    runtime, given = request.app[RUNTIME], query(request)
    where = ProductFilter(category=given["category"], channel=given["channel"], text=given["q"])

    async def read(cursor: list[str | int] | None, limit: int) -> list[ProductView]:
        async with runtime.db.read() as session:
            found = await list_products(session, where, limit, one_key(cursor, str, "products"))
        return [ProductView.of(product) for product in found]

    return await answer_list(request, "products", ProductView, read, lambda p: (p.sku,))


@ROUTES.route(
    "GET", "/v1/dealers", scope="catalog:read",
    summary="Dealers and warehouses by id, filtered; as CSV, every one from the cursor on",
    response=DealersPage,
    query=[
        Text("region", "only dealers of this region"),
        Flag("paused", "only paused dealers (true) or only working ones (false)"),
        Choice("capability", "only dealers offering this",
               choices=("pickup", "delivery", "installation")),
        Text("q", "text in the id, name or city, any case"),
        *list_params(MAX_LIMIT),
    ],
)  # fmt: skip
async def get_dealers(request: web.Request) -> web.StreamResponse:
    """The network's dealers (HQ's warehouse among them)."""
    runtime, given = request.app[RUNTIME], query(request)
    where = DealerFilter(
        region=given["region"], paused=given["paused"], capability=given["capability"],
        text=given["q"],
    )  # fmt: skip

    async def read(cursor: list[str | int] | None, limit: int) -> list[DealerView]:
        async with runtime.db.read() as session:
            found = await list_dealers(session, where, limit, one_key(cursor, str, "dealers"))
        return [DealerView.of(dealer) for dealer in found]

    return await answer_list(request, "dealers", DealerView, read, lambda d: (d.id,))


@ROUTES.route(
    "PUT", "/v1/products/{sku}", scope="catalog:write", summary="Create or replace a product",
    body=ProductBody, response=ProductView,
)  # fmt: skip
async def put_product_route(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    sku = _path_id(request, "sku")
    body = await read_body(request, ProductBody)
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        product, created = await put_product(uow, sku, body)
        _audit(request, uow, "product.put", f"sku:{sku}", created)
    return _json(ProductView.of(product).model_dump(), 201 if created else 200)


@ROUTES.route(
    "GET", "/v1/products/{sku}", scope="catalog:read", summary="One product", response=ProductView
)
async def get_product_route(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    async with runtime.db.read() as session:
        product = await session.get(Product, request.match_info["sku"])
    if product is None:
        raise ApiError(404, "not_found", f"no product {request.match_info['sku']!r}")
    return _json(ProductView.of(product).model_dump())


@ROUTES.route(
    "PUT", "/v1/dealers/{dealer_id}", scope="catalog:write",
    summary="Create or replace a dealer or warehouse",
    body=DealerBody, response=DealerView, errors=[409],
)  # fmt: skip
async def put_dealer_route(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    dealer_id = _path_id(request, "dealer_id")
    body = await read_body(request, DealerBody)
    try:
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            dealer, created = await put_dealer(uow, runtime.redis, dealer_id, body)
            _audit(request, uow, "dealer.put", f"dealer:{dealer_id}", created)
    except CatalogConflict as exc:
        raise ApiError(409, "conflict", str(exc), field="referral_code") from None
    return _json(_dealer_view(dealer), 201 if created else 200)


@ROUTES.route(
    "GET",
    "/v1/dealers/{dealer_id}",
    scope="catalog:read",
    summary="One dealer",
    response=DealerView,
)
async def get_dealer_route(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    async with runtime.db.read() as session:
        dealer = await session.get(Dealer, request.match_info["dealer_id"])
    if dealer is None:
        raise ApiError(404, "not_found", f"no dealer {request.match_info['dealer_id']!r}")
    return _json(_dealer_view(dealer))


def _path_id(request: web.Request, name: str) -> str:
    value = request.match_info[name]
    if not valid_id(value):
        raise ApiError(
            422, "invalid", "some fields are invalid",
            fields=[{"field": name, "message": "use 1 to 64 letters, digits, or _ . : -"}],
        )  # fmt: skip
    return value


def _dealer_view(dealer: Dealer) -> dict[str, object]:
    return DealerView.of(dealer).model_dump()


def _json(body: dict[str, object], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _audit(request: web.Request, uow: UnitOfWork, action: str, target: str, created: bool) -> None:
    # In the change's own transaction: the catalog changed and who changed it, or neither.
    record(uow.session, uow.clock.now(), caller(request).actor, action, target=target,
           detail={"created": created})  # fmt: skip
