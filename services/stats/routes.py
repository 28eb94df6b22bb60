"""HTTP routes of the statistics: what HQ's console draws, as JSON (scorecards also as CSV).

Periods are HQ's days (``BATON_HQ_TIMEZONE``), the last seven by default, today included.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel

from services.stats.queries import (
    DECLINES,
    Dimension,
    OrderCount,
    Period,
    Scorecard,
    network,
    orders_by_day,
    orders_by_hour,
    scorecards,
)
from services.stats.queries import waiting_for_hq as count_waiting
from services.stock import public as stock
from shared.http.access import caller
from shared.http.context import RUNTIME
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import Choice, DayOrTime, Text, one_key, query
from shared.http.problems import invalid_fields
from shared.times import range_bound

ROUTES = RouteTable()
DEFAULT_DAYS = 7
MOST_DAYS = {"hour": 31, "day": 366}


class OrderCountView(BaseModel):
    """Orders of one bucket of time and one value (a status, channel or region)."""

    at: datetime
    value: str
    currency: str
    orders: int
    amount_minor: int


class OrdersOverTime(BaseModel):
    """`GET /v1/stats/orders`."""

    period: str
    by: str
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    waiting_for_hq: int
    rows: list[OrderCountView]


class ScorecardView(BaseModel):
    """A dealer's (or the network's) offers and handovers over the days asked for."""

    dealer_id: str
    offers: int
    accepted: int
    declined: int
    declined_out_of_stock: int
    declined_too_busy: int
    declined_cannot_deliver: int
    declined_other: int
    expired: int
    withdrawn: int
    acceptance_rate: float | None
    decline_rate: float | None
    expiry_rate: float | None
    accept_p50_s: float | None
    accept_p90_s: float | None
    pickups_locked: int
    returns: int
    days_since_stock_report: int | None = None  # a dealer's: since its latest count (None: never)

    @classmethod
    def of(cls, card: Scorecard) -> ScorecardView:
        """The view of a scorecard: its counts, rates over answered offers, quantiles."""
        c = card.counts
        return cls(
            dealer_id=card.dealer_id, offers=c["offers"], accepted=c["accepted"],
            declined=card.declined, **{f"declined_{r}": c[f"declined_{r}"] for r in DECLINES},
            expired=c["expired"], withdrawn=c["withdrawn"],
            acceptance_rate=card.rate(c["accepted"]), decline_rate=card.rate(card.declined),
            expiry_rate=card.rate(c["expired"]), accept_p50_s=card.accept_seconds(0.5),
            accept_p90_s=card.accept_seconds(0.9), pickups_locked=c["pickups_locked"],
            returns=c["returns"],
        )  # fmt: skip


class OffersView(BaseModel):
    """`GET /v1/stats/offers`: the network's offers over the days asked for."""

    first_day: date
    last_day: date
    time_zone: str
    network: ScorecardView


class ScorecardsPage(BaseModel):
    """Dealers' scorecards by dealer id; ``next_cursor`` asks for the page after."""

    dealers: list[ScorecardView]
    next_cursor: str | None


PERIOD = [
    DayOrTime("from", "first day (HQ's time zone) or a time; default: six days before today"),
    DayOrTime("to", "last day, included, or a time (excluded); default: today"),
]


@ROUTES.route(
    "GET", "/v1/stats/orders", scope="stats:read",
    summary="Orders per hour (by status or channel) or day (also by region), and those "
    "waiting for HQ",
    response=OrdersOverTime,
    query=[
        Choice("period", "hour or day", default="day", choices=("hour", "day")),
        Choice("by", "status, channel or region", default="status",
               choices=("status", "channel", "region")),
        *PERIOD,
        Text("channel", "only orders of this channel"),
        Text("region", "only orders of this region"),
    ],
)  # fmt: skip
async def get_order_stats(request: web.Request) -> web.StreamResponse:
    """Orders counted in the hour they came in, under the status they have now."""
    runtime, given = request.app[RUNTIME], query(request)
    period: Period = given["period"]
    by: Dimension = given["by"]
    zone = ZoneInfo(runtime.settings.hq_timezone)
    channel, visible = caller(request).channel_of_list(given["channel"])
    now = runtime.clock.now()
    if period == "hour" and (by == "region" or given["region"] is not None):
        raise invalid_fields(("by" if by == "region" else "region", "by day only, not by hour"))
    days = _days(given["from"], given["to"], zone, now)
    since, until = _span(given["from"], given["to"], days, zone)
    if until - since > timedelta(days=MOST_DAYS[period]):
        raise invalid_fields(("to", f"at most {MOST_DAYS[period]} days by {period}"))
    rows: list[OrderCount] = []
    waiting = 0
    if visible:  # else another channel's orders were asked for: the key sees none of them
        async with runtime.db.read() as session:
            if period == "hour":
                hourly: Literal["status", "channel"] = "channel" if by == "channel" else "status"
                rows = await orders_by_hour(session, since, until, by=hourly, channel=channel)
            else:
                rows = await orders_by_day(
                    session, *days, by=by, zone=zone, channel=channel, region=given["region"]
                )
            waiting = await count_waiting(session, channel)
    body = OrdersOverTime(
        period=period, by=by, time_zone=str(zone), starts_at=since, ends_at=until,
        waiting_for_hq=waiting,
        rows=[OrderCountView(**vars(row)) for row in rows],
    )  # fmt: skip
    return web.json_response(text=body.model_dump_json())


@ROUTES.route(
    "GET", "/v1/stats/offers", scope="stats:read",
    summary="The network's offers: acceptance, declines by reason, time to accept",
    response=OffersView, query=PERIOD,
)  # fmt: skip
async def get_offer_stats(request: web.Request) -> web.StreamResponse:
    """Offers that ended on the days asked for, every dealer's together."""
    runtime, given = request.app[RUNTIME], query(request)
    zone = ZoneInfo(runtime.settings.hq_timezone)
    first, last = _days(given["from"], given["to"], zone, runtime.clock.now())
    async with runtime.db.read() as session:
        card = await network(session, first, last)
    body = OffersView(
        first_day=first, last_day=last, time_zone=str(zone), network=ScorecardView.of(card)
    )
    return web.json_response(text=body.model_dump_json())


@ROUTES.route(
    "GET", "/v1/stats/dealers", scope="stats:read",
    summary="Dealers' scorecards over a period, by dealer id; as CSV, every one",
    response=ScorecardsPage, query=[*PERIOD, *list_params(1_000)],
)  # fmt: skip
async def get_scorecards(request: web.Request) -> web.StreamResponse:
    """Each dealer with offers or handovers on the days asked for: what they did with them."""
    runtime, given = request.app[RUNTIME], query(request)
    zone = ZoneInfo(runtime.settings.hq_timezone)
    first, last = _days(given["from"], given["to"], zone, runtime.clock.now())

    today = runtime.clock.now().astimezone(zone).date()

    async def read(cursor: list[str | int] | None, limit: int) -> list[ScorecardView]:
        after = one_key(cursor, str, "scorecards")
        async with runtime.db.read() as session:
            cards = await scorecards(session, first, last, limit, after)
            ids = [card.dealer_id for card in cards]
            reported = dict((await session.exec(stock.last_reported(ids))).all())
        views = []
        for card in cards:
            at = reported.get(card.dealer_id)
            since = (today - at.astimezone(zone).date()).days if at is not None else None
            views.append(
                ScorecardView.of(card).model_copy(update={"days_since_stock_report": since})
            )
        return views

    return await answer_list(request, "dealers", ScorecardView, read, lambda s: (s.dealer_id,))


def _span(
    given_from: date | datetime | None, given_to: date | datetime | None, days: tuple[date, date],
    zone: ZoneInfo,
) -> tuple[datetime, datetime]:  # fmt: skip
    """The instants a period's ``from`` and ``to`` mean: the times given, else the bounds of
    its ``days``."""
    first, last = days
    since = range_bound(given_from if given_from is not None else first, zone, end=False)
    until = range_bound(given_to if given_to is not None else last, zone, end=True)
    if until <= since:
        raise invalid_fields(("to", "must be after from"))
    return since, until


def _days(
    given_from: date | datetime | None, given_to: date | datetime | None, zone: ZoneInfo,
    now: datetime,
) -> tuple[date, date]:  # fmt: skip
    """The first and last of HQ's days a period covers (a time: the day it falls on)."""
    last = _day(given_to, zone) if given_to is not None else now.astimezone(zone).date()
    first = (
        _day(given_from, zone)
        if given_from is not None
        else last - timedelta(days=DEFAULT_DAYS - 1)
    )
    if last < first:
        raise invalid_fields(("to", "must not be before from"))
    if (last - first).days >= MOST_DAYS["day"]:
        raise invalid_fields(("to", f"at most {MOST_DAYS['day']} days"))
    return first, last


def _day(given: date | datetime, zone: ZoneInfo) -> date:
    return given.astimezone(zone).date() if isinstance(given, datetime) else given
