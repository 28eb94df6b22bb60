"""Stock over HTTP: a dealer's levels, and a count that replaces one SKU's on-hand."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import col, select

from services.stock.core import StockError
from services.stock.handlers import apply_report
from services.stock.models import StockLevel
from shared.audit import record
from shared.db.uow import unit_of_work
from shared.http.access import caller
from shared.http.context import DIRECTORY, RUNTIME
from shared.http.errors import ApiError, invalid, read_body
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import one_key
from shared.messages.stock import StockCount


class StockBody(BaseModel):
    """A dealer's count of one SKU."""

    model_config = ConfigDict(extra="forbid")

    on_hand: int = Field(ge=0, le=100_000_000, strict=True)


class LevelOut(BaseModel):
    """One SKU at a dealer."""

    sku: str
    on_hand: int
    reserved: int
    available: int
    reported_at: datetime | None

    @classmethod
    def of(cls, row: StockLevel) -> LevelOut:
        """The answer for a level row."""
        return cls(
            sku=row.sku,
            on_hand=row.on_hand,
            reserved=row.reserved,
            available=row.on_hand - row.reserved,
            reported_at=row.reported_at,
        )


class DealerStockOut(BaseModel):
    """A page of the SKUs a dealer has a level for, by SKU."""

    dealer_id: str
    levels: list[LevelOut]
    next_cursor: str | None = Field(description="the cursor of the next page; null: no more")


MAX_PAGE = 1000


ROUTES = RouteTable()


@ROUTES.route(
    "PUT",
    "/v1/dealers/{dealer_id}/stock/{sku}",
    scope="stock:write",
    summary="Report a dealer's count of one SKU; reservations that no longer fit end",
    body=StockBody,
    response=LevelOut,
    errors=[409],
)
async def put_stock(request: web.Request) -> web.StreamResponse:
    """Apply the count as a report with source "api"; answer the level."""
    dealer_id, sku = request.match_info["dealer_id"], request.match_info["sku"]
    await _known(request, dealer_id, sku)
    body = await read_body(request, StockBody)
    try:  # the limits a count has on the bus, should a directory know longer names
        StockCount(sku=sku, on_hand=body.on_hand)
    except ValidationError as exc:
        raise invalid(exc) from None
    runtime = request.app[RUNTIME]
    try:
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            rows = await apply_report(
                uow, runtime.redis, dealer_id, {sku: body.on_hand}, source="api"
            )
            record(uow.session, uow.clock.now(), caller(request).actor, "stock.count",
                   target=f"{dealer_id}/{sku}", detail={"on_hand": body.on_hand})  # fmt: skip
    except StockError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return _json(LevelOut.of(rows[sku]))


@ROUTES.route(
    "GET",
    "/v1/dealers/{dealer_id}/stock",
    scope="stock:read",
    summary="A dealer's on-hand, reserved and available units of each SKU, by SKU; as CSV, "
    "every one",
    response=DealerStockOut,
    query=list_params(MAX_PAGE, default=500),
)
async def get_stock(request: web.Request) -> web.StreamResponse:
    """The dealer's levels by SKU, from the tables (not the cache); as CSV, every one."""
    dealer_id = request.match_info["dealer_id"]
    await _known(request, dealer_id)

    async def read(cursor: list[str | int] | None, limit: int) -> list[LevelOut]:
        after = one_key(cursor, str, "a dealer's stock")
        levels = select(StockLevel).where(col(StockLevel.dealer_id) == dealer_id)
        if after is not None:
            levels = levels.where(col(StockLevel.sku) > after)
        async with request.app[RUNTIME].db.read() as session:
            rows = (await session.exec(levels.order_by(col(StockLevel.sku)).limit(limit))).all()
        return [LevelOut.of(r) for r in rows]

    return await answer_list(
        request, "levels", LevelOut, read, lambda level: (level.sku,), {"dealer_id": dealer_id}
    )


async def _known(request: web.Request, dealer_id: str, sku: str | None = None) -> None:
    directory = request.app[DIRECTORY]
    if not await directory.has_dealer(dealer_id):
        raise ApiError(404, "unknown_dealer", f"no dealer {dealer_id!r}", field="dealer_id")
    if sku is not None and not await directory.has_product(sku):
        raise ApiError(404, "unknown_sku", f"no product {sku!r} in the catalog", field="sku")


def _json(model: BaseModel) -> web.Response:
    return web.json_response(text=model.model_dump_json())
