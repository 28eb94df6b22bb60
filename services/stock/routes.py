"""Stock over HTTP: a dealer's levels, a count that replaces one SKU's on-hand, and the
whole network's levels and their counts for HQ (``services.stock.network``)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import col, select

from services.stock.core import StockError
from services.stock.handlers import apply_report
from services.stock.models import StockLevel
from services.stock.network import (
    NetworkLevel,
    StockFilter,
    Tally,
    days_since,
    network_counts,
    network_levels,
    stale_before,
)
from shared.audit import record
from shared.db.uow import unit_of_work
from shared.http.access import caller
from shared.http.context import DIRECTORY, RUNTIME
from shared.http.errors import ApiError, invalid, read_body
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import Int, Text, one_key, query
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
DEFAULT_STALE_DAYS = 3  # when stock reminders are off (BATON_STOCK_REMINDER_DAYS=0)


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


class NetworkLevelOut(BaseModel):
    """One SKU at one dealer, in a list across the network."""

    dealer_id: str
    region: str | None = Field(description="the dealer's, as the catalog has it")
    sku: str
    on_hand: int
    reserved: int
    available: int
    reported_at: datetime | None
    days_since_report: int | None = Field(
        description="HQ's days since the last count (0: today); null: never counted"
    )

    @classmethod
    def of(cls, level: NetworkLevel, today: date, zone: tzinfo) -> NetworkLevelOut:
        """The answer for a level, its days counted from HQ's ``today``."""
        return cls(
            dealer_id=level.dealer_id, region=level.region, sku=level.sku,
            on_hand=level.on_hand, reserved=level.reserved,
            available=level.on_hand - level.reserved, reported_at=level.reported_at,
            days_since_report=days_since(level.reported_at, today, zone),
        )  # fmt: skip


class NetworkStockOut(BaseModel):
    """A page of the network's levels by dealer and SKU."""

    levels: list[NetworkLevelOut]
    next_cursor: str | None = Field(description="the cursor of the next page; null: no more")


class TallyOut(BaseModel):
    """Levels, and how many are low and stale."""

    levels: int
    low: int
    stale: int


class RegionTally(TallyOut):
    """A region's levels (region in English; null: dealers the catalog lacks)."""

    region: str | None


class SkuTally(TallyOut):
    """A SKU's levels across the network."""

    sku: str


class RegionSkuTally(TallyOut):
    """A SKU's levels in one region."""

    region: str | None
    sku: str


class StockStatsOut(BaseModel):
    """The network's stock levels counted: low, stale, by region and by SKU."""

    low: int = Field(description="a level is low when its available units are at most this")
    stale_days: int = Field(
        description="a level is stale when counted more than this many of HQ's days ago, or never"
    )
    time_zone: str = Field(description="HQ's, whose days count")
    total: TallyOut
    by_region: list[RegionTally]
    by_sku: list[SkuTally]
    by_region_and_sku: list[RegionSkuTally]


LOW = Int("low", "only levels with at most this many units available", low=0, high=100_000_000)
STALE_DAYS = Int(
    "stale_days", "only levels counted more than this many of HQ's days ago (or never)",
    low=0, high=3650,
)  # fmt: skip


@ROUTES.route(
    "GET", "/v1/stock", scope="stock:read",
    summary="Stock levels across the network by dealer and SKU, filtered; as CSV, every one",
    response=NetworkStockOut,
    query=[
        Text("region", "only dealers of this region (Chinese or English, any case)"),
        Text("sku", "only this SKU"),
        LOW,
        STALE_DAYS,
        *list_params(MAX_PAGE),
    ],
)  # fmt: skip
async def get_network_stock(request: web.Request) -> web.StreamResponse:
    """Every dealer's levels (warehouses included) by dealer and SKU, those asked for; with
    ``low`` and ``stale_days`` both, the levels that are both."""
    runtime, given = request.app[RUNTIME], query(request)
    zone = ZoneInfo(runtime.settings.hq_timezone)
    now = runtime.clock.now()
    stale = given["stale_days"]
    where = StockFilter(
        region=given["region"], sku=given["sku"], low=given["low"],
        stale_before=stale_before(stale, zone, now) if stale is not None else None,
    )  # fmt: skip
    today = now.astimezone(zone).date()

    async def read(cursor: list[str | int] | None, limit: int) -> list[NetworkLevelOut]:
        after = _dealer_and_sku(cursor)
        async with runtime.db.read() as session:
            found = await network_levels(session, where, limit, after)
        return [NetworkLevelOut.of(level, today, zone) for level in found]

    return await answer_list(
        request, "levels", NetworkLevelOut, read, lambda level: (level.dealer_id, level.sku)
    )


def _dealer_and_sku(cursor: list[str | int] | None) -> tuple[str, str] | None:
    """The (dealer, SKU) a page of the network's levels starts after; a 422 if the cursor
    is not one this list gave."""
    if not cursor:
        return None
    if len(cursor) == 2 and all(isinstance(v, str) for v in cursor):
        return str(cursor[0]), str(cursor[1])
    raise ApiError(422, "invalid", "not a cursor of the network's stock", field="cursor")


@ROUTES.route(
    "GET", "/v1/stats/stock", scope="stock:read",
    summary="The network's stock levels counted: low and stale, by region and by SKU",
    response=StockStatsOut,
    query=[
        Int("low", "a level is low with at most this many units available (default 0)",
            low=0, high=100_000_000, default=0),
        Int("stale_days", "a level is stale when counted more than this many of HQ's days "
            "ago, or never (default BATON_STOCK_REMINDER_DAYS, or 3 when that is 0)",
            low=0, high=3650),
    ],
)  # fmt: skip
async def get_stock_stats(request: web.Request) -> web.StreamResponse:
    """Levels in all, low and stale, by region (spellings of one region counted as one), by
    SKU, and by both."""
    runtime, given = request.app[RUNTIME], query(request)
    zone = ZoneInfo(runtime.settings.hq_timezone)
    low = int(given["low"])
    stale = given["stale_days"]
    if stale is None:
        stale = runtime.settings.stock_reminder_days or DEFAULT_STALE_DAYS
    async with runtime.db.read() as session:
        counts = await network_counts(session, low, stale_before(stale, zone, runtime.clock.now()))

    def tally(t: Tally) -> dict[str, int]:
        return {"levels": t.levels, "low": t.low, "stale": t.stale}

    def placed(region: str | None) -> tuple[bool, str]:  # by name, dealers lacking one last
        return region is None, region or ""

    pairs = sorted(counts.by_region_and_sku, key=lambda pair: (placed(pair[0]), pair[1]))
    body = StockStatsOut(
        low=low, stale_days=stale, time_zone=str(zone), total=TallyOut(**tally(counts.total)),
        by_region=[
            RegionTally(region=r, **tally(counts.by_region[r]))
            for r in sorted(counts.by_region, key=placed)
        ],
        by_sku=[SkuTally(sku=k, **tally(counts.by_sku[k])) for k in sorted(counts.by_sku)],
        by_region_and_sku=[
            RegionSkuTally(region=r, sku=k, **tally(counts.by_region_and_sku[(r, k)]))
            for r, k in pairs
        ],
    )  # fmt: skip
    return _json(body)


async def _known(request: web.Request, dealer_id: str, sku: str | None = None) -> None:
    directory = request.app[DIRECTORY]
    if not await directory.has_dealer(dealer_id):
        raise ApiError(404, "unknown_dealer", f"no dealer {dealer_id!r}", field="dealer_id")
    if sku is not None and not await directory.has_product(sku):
        raise ApiError(404, "unknown_sku", f"no product {sku!r} in the catalog", field="sku")


def _json(model: BaseModel) -> web.Response:
    return web.json_response(text=model.model_dump_json())
