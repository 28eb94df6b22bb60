"""Earnings over HTTP: ``GET /v1/dealers/{id}/earnings?from=&to=``, the figures chat shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.settlement.earnings import dealer_earnings
from services.settlement.periods import MAX_DAYS, local_day, local_midnight
from shared.http.context import DIRECTORY, RUNTIME
from shared.http.errors import ApiError
from shared.http.openapi import RouteTable
from shared.http.params import DayOrTime, query
from shared.http.problems import invalid_fields
from shared.times import range_bound


class KindOut(BaseModel):
    """Earned by kind over the period."""

    fulfilment: str
    referral: str


class StateOut(BaseModel):
    """Held, pending and available at the period's end; paid during it."""

    held: str
    pending: str
    available: str
    paid: str


class CurrencyOut(BaseModel):
    """One currency's figures, as decimal strings."""

    currency: str
    by_kind: KindOut
    by_state: StateOut
    cash_owed: str
    net: str


class OrdersOut(BaseModel):
    """Orders handed over in the period that the dealer fulfilled or originated."""

    fulfilled: int
    originated: int


class EarningsOut(BaseModel):
    """A dealer's earnings over ``[from, to)``."""

    model_config = ConfigDict(populate_by_name=True)

    dealer_id: str
    starts_at: datetime = Field(alias="from")
    ends_at: datetime = Field(alias="to")
    time_zone: str
    orders: OrdersOut
    currencies: list[CurrencyOut]


ROUTES = RouteTable()


@ROUTES.route(
    "GET",
    "/v1/dealers/{dealer_id}/earnings",
    scope="finance:read",
    summary="A dealer's earnings by kind and state over a period (default: this month)",
    response=EarningsOut,
    query=[
        DayOrTime("from", "first day (in BATON_SETTLEMENT_TZ) or a time with its offset"),
        DayOrTime("to", "last day, included, or a time with its offset (excluded)"),
    ],
)
async def get_earnings(request: web.Request) -> web.StreamResponse:
    """The figures of ``/earnings``, over any period, amounts as decimal strings."""
    runtime = request.app[RUNTIME]
    dealer_id = request.match_info["dealer_id"]
    if not await request.app[DIRECTORY].has_dealer(dealer_id):
        raise ApiError(404, "unknown_dealer", f"no dealer {dealer_id!r}", field="dealer_id")
    tz = ZoneInfo(runtime.settings.settlement_tz)
    today = local_day(runtime.clock.now(), tz)
    given_from, given_to = query(request)["from"], query(request)["to"]
    starts_at = (
        range_bound(given_from, tz, end=False)
        if given_from is not None
        else local_midnight(today.replace(day=1), tz)
    )
    ends_at = (
        range_bound(given_to, tz, end=True)
        if given_to is not None
        else local_midnight(today + timedelta(days=1), tz)
    )
    if ends_at <= starts_at or ends_at - starts_at > timedelta(days=MAX_DAYS + 1):
        raise invalid_fields(("to", f"must be after from, at most {MAX_DAYS} days"))
    found = await dealer_earnings(runtime.db, dealer_id, starts_at, ends_at)
    body = EarningsOut(
        dealer_id=dealer_id, starts_at=starts_at, ends_at=ends_at,
        time_zone=runtime.settings.settlement_tz,
        orders=OrdersOut(fulfilled=found.fulfilled, originated=found.originated),
        currencies=[CurrencyOut.model_validate(f.as_strings()) for f in found.currencies],
    )  # fmt: skip
    return web.json_response(text=body.model_dump_json(by_alias=True))
