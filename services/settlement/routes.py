"""Settlement over HTTP: a dealer's earnings (the figures chat shows), every dealer's or
region's earnings at once from the kept summary, the payout periods and their lines, and
the ledger check's results (and a check run now)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.settlement import check_runs
from services.settlement.aggregate import (
    RegionFigures,
    Span,
    consistent_read,
    dealer_page,
    region_rows,
)
from services.settlement.earnings import Figures, dealer_earnings
from services.settlement.models import LedgerCheck, PayoutLine, SettlementPeriod
from services.settlement.payouts import CSV_HEADER, payout_csv, payout_row, period_lines
from services.settlement.periods import MAX_DAYS, local_day, local_midnight
from shared.http.access import caller
from shared.http.context import DIRECTORY, RUNTIME
from shared.http.errors import ApiError
from shared.http.lists import answer_list, list_params, wants_csv
from shared.http.openapi import RouteTable
from shared.http.params import Choice, DayOrTime, Int, Text, query, time_and_id
from shared.http.problems import invalid_fields
from shared.money import format_amount
from shared.runtime import Runtime
from shared.times import range_bound

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(minutes=1)  # the least time between two checks asked for by HTTP
_CHECKING: set[asyncio.Task[None]] = set()  # checks this process runs in the background


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
PERIOD = [
    DayOrTime("from", "first day (in BATON_SETTLEMENT_TZ) or a time with its offset"),
    DayOrTime("to", "last day, included, or a time with its offset (excluded)"),
]


def _period(request: web.Request, runtime: Runtime) -> tuple[datetime, datetime]:
    """The ``from``/``to`` of a request as instants; default this month, today included."""
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
    return starts_at, ends_at


@ROUTES.route(
    "GET",
    "/v1/dealers/{dealer_id}/earnings",
    scope="finance:read",
    summary="A dealer's earnings by kind and state over a period (default: this month)",
    response=EarningsOut,
    query=PERIOD,
)
async def get_earnings(request: web.Request) -> web.StreamResponse:
    """The figures of ``/earnings``, over any period, amounts as decimal strings."""
    runtime = request.app[RUNTIME]
    dealer_id = request.match_info["dealer_id"]
    if not await request.app[DIRECTORY].has_dealer(dealer_id):
        raise ApiError(404, "unknown_dealer", f"no dealer {dealer_id!r}", field="dealer_id")
    starts_at, ends_at = _period(request, runtime)
    found = await dealer_earnings(runtime.db, dealer_id, starts_at, ends_at)
    body = EarningsOut(
        dealer_id=dealer_id, starts_at=starts_at, ends_at=ends_at,
        time_zone=runtime.settings.settlement_tz,
        orders=OrdersOut(fulfilled=found.fulfilled, originated=found.originated),
        currencies=[CurrencyOut.model_validate(f.as_strings()) for f in found.currencies],
    )  # fmt: skip
    return web.json_response(text=body.model_dump_json(by_alias=True))


# Every dealer's (or region's) earnings at once: HQ's console.


def _amounts(f: Figures) -> dict[str, str]:
    """One currency's figures as decimal strings: earned by kind (accruals booked in the
    period), the states at its end, paid during it, cash owed to HQ at its end, and net
    (available less cash owed)."""
    c = f.currency
    amounts = {
        "fulfilment": f.fulfilment, "referral": f.referral, "held": f.held, "pending": f.pending,
        "available": f.available, "paid": f.paid, "cash_owed": f.cash_owed, "net": f.net,
    }  # fmt: skip
    return {"currency": c} | {name: format_amount(v, c) for name, v in amounts.items()}


class DealerAmounts(BaseModel):
    """A dealer's figures in one currency (a row of ``by=dealer``)."""

    dealer_id: str
    currency: str
    fulfilment: str
    referral: str
    held: str
    pending: str
    available: str
    paid: str
    cash_owed: str
    net: str


class RegionAmounts(BaseModel):
    """A region's dealers' figures in one currency, added up (a row of ``by=region``)."""

    region: str | None  # the region's id (sichuan); null: dealers the catalog does not have
    name_zh: str | None
    name_en: str | None
    currency: str
    dealers: int  # dealers with a figure in this currency
    fulfilment: str
    referral: str
    held: str
    pending: str
    available: str
    paid: str
    cash_owed: str
    net: str

    @classmethod
    def of(cls, group: RegionFigures) -> RegionAmounts:
        """The row of a region's sums."""
        assert group.figures is not None
        return cls(
            region=group.region, name_zh=group.name_zh, name_en=group.name_en,
            dealers=group.dealers, **_amounts(group.figures),
        )  # fmt: skip


class NetworkEarningsOut(BaseModel):
    """`GET /v1/stats/earnings`: ``dealers`` and ``next_cursor`` (by dealer) or ``regions``
    (by region), after the period."""

    model_config = ConfigDict(populate_by_name=True)

    starts_at: datetime = Field(alias="from")
    ends_at: datetime = Field(alias="to")
    time_zone: str
    by: str
    dealers: list[DealerAmounts] | None = None
    regions: list[RegionAmounts] | None = None
    next_cursor: str | None = None


@ROUTES.route(
    "GET", "/v1/stats/earnings", scope="finance:read",
    summary="Every dealer's (or region's) earnings by kind and state over a period, from the "
    "kept summary (default: this month); by dealer in pages or as CSV",
    response=NetworkEarningsOut,
    query=[
        *PERIOD,
        Choice("by", "dealer (a row per dealer and currency, in pages) or region (every region "
               "at once)", default="dealer", choices=("dealer", "region")),
        Text("region", "only the dealers of this region (as the catalog has it; Chinese or "
             "English, any case)"),
        Text("dealer_id", "only this dealer"),
        *list_params(1_000),
    ],
)  # fmt: skip
async def get_network_earnings(request: web.Request) -> web.StreamResponse:
    """Each dealer's (or region's) figures per currency, as ``/v1/dealers/{id}/earnings``
    gives one dealer's; dealers with nothing on their books in the period are left out."""
    runtime, given = request.app[RUNTIME], query(request)
    starts_at, ends_at = _period(request, runtime)
    tz_name = runtime.settings.settlement_tz
    span = Span(starts_at, ends_at, ZoneInfo(tz_name))
    head = NetworkEarningsOut(
        starts_at=starts_at, ends_at=ends_at, time_zone=tz_name, by=given["by"]
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    region, dealer_id = given["region"], given["dealer_id"]
    if given["by"] == "region":
        return await _by_region(request, runtime, span, head, region, dealer_id)

    async def read(cursor: list[str | int] | None, limit: int) -> list[DealerAmounts]:
        after = _dealer_cursor(cursor)
        async with consistent_read(runtime.db) as session:
            page = await dealer_page(
                session, span, after=after, limit=limit, dealer_id=dealer_id, region=region
            )
        return [DealerAmounts(dealer_id=d, **_amounts(f)) for d, f in page]

    return await answer_list(
        request, "dealers", DealerAmounts, read, lambda r: (r.dealer_id, r.currency), head
    )


def _dealer_cursor(cursor: list[str | int] | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    if len(cursor) == 2 and all(isinstance(v, str) for v in cursor):
        return str(cursor[0]), str(cursor[1])
    raise ApiError(422, "invalid", "not a cursor of dealers' earnings", field="cursor")


async def _by_region(
    request: web.Request,
    runtime: Runtime,
    span: Span,
    head: dict[str, Any],
    region: str | None,
    dealer_id: str | None,
) -> web.StreamResponse:
    for name in ("limit", "cursor"):
        if name in request.query:
            raise invalid_fields((name, "by=region answers every region at once"))
    async with consistent_read(runtime.db) as session:
        groups = await region_rows(session, span, region=region, dealer_id=dealer_id)
    rows = [RegionAmounts.of(group) for group in groups]
    if wants_csv(request):

        async def every(cursor: list[str | int] | None, limit: int) -> list[RegionAmounts]:
            return rows if cursor is None else []

        return await answer_list(
            request, "regions", RegionAmounts, every, lambda r: (r.region or "", r.currency)
        )
    return web.json_response(head | {"regions": [row.model_dump(mode="json") for row in rows]})


# Payout periods and their lines.


class PeriodTotal(BaseModel):
    """A period's payout lines in one currency, added up (amounts as decimal strings)."""

    currency: str
    dealers: int  # lines (one per dealer)
    paid: str  # what HQ transfers
    carried_debt: str  # what dealers still owe HQ, carried into the next period


class PayoutPeriodOut(BaseModel):
    """A payout period: ``closing`` while its lines are being posted, then ``closed``."""

    period: str
    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime
    state: str
    started_at: datetime
    closed_at: datetime | None
    closed_by: str
    totals: list[PeriodTotal]


class PayoutPeriodsPage(BaseModel):
    """Payout periods, newest first; ``next_cursor`` asks for the page after."""

    periods: list[PayoutPeriodOut]
    next_cursor: str | None


class PayoutLineView(BaseModel):
    """One dealer's payout line: the columns of finance's payout CSV."""

    period: str
    dealer_id: str
    currency: str
    available: str
    cash_owed: str  # owed to HQ before the payout (positive)
    net: str
    pay: str  # what HQ transfers
    carried_debt: str  # still owed to HQ afterwards (positive)


class PayoutBatchOut(PayoutPeriodOut):
    """A period and its payout lines, by dealer and currency."""

    lines: list[PayoutLineView]


def _period_view(row: SettlementPeriod, totals: list[PeriodTotal]) -> PayoutPeriodOut:
    first, last = _days_of(row.period)
    return PayoutPeriodOut(
        period=row.period, first_day=first, last_day=last, starts_at=row.starts_at,
        ends_at=row.ends_at, state="closed" if row.closed_at is not None else "closing",
        started_at=row.started_at, closed_at=row.closed_at, closed_by=row.closed_by,
        totals=totals,
    )  # fmt: skip


def _days_of(label: str) -> tuple[date, date]:
    """A period's first and last day, from its label (``2026-W03``, ``A..B``)."""
    if ".." in label:
        first, _, last = label.partition("..")
        return date.fromisoformat(first), date.fromisoformat(last)
    year, _, week = label.partition("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return monday, monday + timedelta(days=6)


async def _totals(session: AsyncSession, labels: list[str]) -> dict[str, list[PeriodTotal]]:
    line = PayoutLine
    query = (
        sa_select(
            col(line.period), col(line.currency), func.count(), func.sum(line.paid),
            func.sum(line.carried),
        )
        .where(col(line.period).in_(labels))
        .group_by(col(line.period), col(line.currency))
        .order_by(col(line.period), col(line.currency))
    )  # fmt: skip
    connection = await session.connection()  # five columns: more than sqlmodel's select types
    found: dict[str, list[PeriodTotal]] = {label: [] for label in labels}
    for label, currency, count, paid, carried in (await connection.execute(query)).all():
        total = PeriodTotal(
            currency=currency, dealers=int(count), paid=format_amount(int(paid), currency),
            carried_debt=format_amount(-int(carried), currency),
        )  # fmt: skip
        found[label].append(total)
    return found


@ROUTES.route(
    "GET", "/v1/payouts", scope="finance:read",
    summary="Payout periods, closed or closing, newest first, with their totals per currency",
    response=PayoutPeriodsPage, query=list_params(500),
)  # fmt: skip
async def get_payout_periods(request: web.Request) -> web.StreamResponse:
    """Each period a close started, by its end, newest first: dealers, paid, debt carried."""
    runtime = request.app[RUNTIME]

    async def read(cursor: list[str | int] | None, limit: int) -> list[PayoutPeriodOut]:
        query_ = select(SettlementPeriod).order_by(
            col(SettlementPeriod.ends_at).desc(), col(SettlementPeriod.period).desc()
        )
        if cursor:
            ends_at, label = time_and_id(cursor, "payout periods")
            ends, period = col(SettlementPeriod.ends_at), col(SettlementPeriod.period)
            query_ = query_.where((ends < ends_at) | ((ends == ends_at) & (period < label)))
        async with runtime.db.read() as session:
            rows = list((await session.exec(query_.limit(limit))).all())
            totals = await _totals(session, [row.period for row in rows])
        return [_period_view(row, totals[row.period]) for row in rows]

    return await answer_list(
        request, "periods", PayoutPeriodOut, read, lambda p: (p.ends_at.isoformat(), p.period)
    )


@ROUTES.route(
    "GET", "/v1/payouts/{period}", scope="finance:read",
    summary="A payout period's lines, one per dealer and currency; as CSV, finance's payout file",
    response=PayoutBatchOut,
    query=[Choice("format", "json (the default) or csv (the payout file `baton settle close` "
                  "writes; also asked for by Accept: text/csv)", choices=("json", "csv"))],
)  # fmt: skip
async def get_payout_period(request: web.Request) -> web.StreamResponse:
    """The lines a close posted for the period, as `baton settle close` writes them."""
    runtime = request.app[RUNTIME]
    label = request.match_info["period"]
    async with runtime.db.read() as session:
        row = await session.get(SettlementPeriod, label)
        if row is None:
            raise ApiError(
                404, "unknown_period",
                f"no payout period {label!r} was closed: GET /v1/payouts lists those that "
                "were (an ISO week such as 2026-W03, or days such as 2026-01-01..2026-01-31)",
                field="period",
            )  # fmt: skip
        lines = await period_lines(session, label)
        totals = await _totals(session, [label])
    if wants_csv(request):
        return web.Response(
            text=payout_csv(lines), content_type="text/csv", charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="payouts-{label}.csv"'},
        )  # fmt: skip
    views = [
        PayoutLineView(**dict(zip(CSV_HEADER, payout_row(line), strict=True))) for line in lines
    ]
    body = PayoutBatchOut(**_period_view(row, totals[label]).model_dump(), lines=views)
    return web.json_response(text=body.model_dump_json())


# The ledger check: its latest results, and a check run now.


class CheckedOut(BaseModel):
    """What a check went through before it ended (or stopped at its violation)."""

    transactions: int
    entries: int
    orders: int
    payouts: int
    summary_days: int  # dealer days of the earnings summary


class LedgerCheckOut(BaseModel):
    """A run of the ledger check: ``running`` (no result yet, or its process stopped),
    ``ok``, ``broken`` (``violation`` names the first thing wrong) or ``interrupted``."""

    id: int
    state: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    started_by: str
    checked: CheckedOut
    violation: str | None

    @classmethod
    def of(cls, row: LedgerCheck) -> LedgerCheckOut:
        """The view of a check's row."""
        assert row.id is not None
        return cls(
            id=row.id, state=check_runs.state_of(row), started_at=row.started_at,
            finished_at=row.finished_at, duration_ms=row.duration_ms, started_by=row.started_by,
            checked=CheckedOut(
                transactions=row.transactions, entries=row.entries, orders=row.orders,
                payouts=row.payouts, summary_days=row.summary_days,
            ),
            violation=row.violation,
        )  # fmt: skip


class LedgerChecksOut(BaseModel):
    """The latest checks, newest first."""

    checks: list[LedgerCheckOut]


@ROUTES.route(
    "GET", "/v1/ledger/checks", scope="finance:read",
    summary="The latest runs of the ledger check, newest first, with what each found",
    response=LedgerChecksOut,
    query=[Int("limit", "how many at most (1 to 100)", default=20, low=1, high=100)],
)  # fmt: skip
async def get_ledger_checks(request: web.Request) -> web.StreamResponse:
    """The checks `baton check ledger` and this API ran, newest first."""
    runtime = request.app[RUNTIME]
    async with runtime.db.read() as session:
        rows = await check_runs.latest(session, query(request)["limit"])
    body = LedgerChecksOut(checks=[LedgerCheckOut.of(row) for row in rows])
    return web.json_response(text=body.model_dump_json())


@ROUTES.route(
    "GET", "/v1/ledger/checks/{check_id}", scope="finance:read",
    summary="One run of the ledger check", response=LedgerCheckOut,
)  # fmt: skip
async def get_ledger_check(request: web.Request) -> web.StreamResponse:
    """A check by its id: poll it after starting one until its state is not ``running``."""
    runtime = request.app[RUNTIME]
    raw = request.match_info["check_id"]
    row = None
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        async with runtime.db.read() as session:
            row = await check_runs.one(session, int(raw))
    if row is None:
        raise ApiError(404, "not_found", f"no ledger check {raw!r}", field="check_id")
    return web.json_response(text=LedgerCheckOut.of(row).model_dump_json())


@ROUTES.route(
    "POST", "/v1/ledger/checks", scope="finance:read", limit="writes", status=202,
    summary="Run the ledger check now, in the background (at most once a minute)",
    response=LedgerCheckOut, errors=[409],
)  # fmt: skip
async def post_ledger_check(request: web.Request) -> web.StreamResponse:
    """Start a check and answer at once with its row (``running``); poll
    ``GET /v1/ledger/checks/{id}``. A check reads the whole ledger (minutes on a million
    orders), longer than a request should wait, so it runs in this process's background.
    409 if one started less than a minute ago or is still running here."""
    runtime = request.app[RUNTIME]
    if _CHECKING:
        raise ApiError(409, "check_running", "a ledger check is running: wait for its result")
    try:
        row = await check_runs.start(
            runtime.db, runtime.clock, caller(request).actor, not_within=CHECK_EVERY
        )
    except check_runs.TooSoon as exc:
        raise ApiError(
            409, "too_soon",
            f"a ledger check started less than a minute ago ({exc}): see GET /v1/ledger/checks",
        ) from None  # fmt: skip
    zone = ZoneInfo(runtime.settings.settlement_tz)
    task = asyncio.create_task(_check(runtime, zone, row))
    _CHECKING.add(task)
    task.add_done_callback(_CHECKING.discard)
    return web.json_response(
        text=LedgerCheckOut.of(row).model_dump_json(), status=202,
        headers={"Location": f"/v1/ledger/checks/{row.id}"},
    )  # fmt: skip


async def _check(runtime: Runtime, zone: ZoneInfo, row: LedgerCheck) -> None:
    try:
        done = await check_runs.run(runtime.db, runtime.clock, zone, row.started_by, row=row)
    except Exception:
        log.exception("ledger check %s failed", row.id)
        return
    if not done.report.ok:
        log.error("ledger check %s: %s", row.id, done.report.violation)


async def checks_done() -> None:
    """Wait for the checks this process runs in the background (for tests and shutdown)."""
    while _CHECKING:
        await asyncio.gather(*_CHECKING, return_exceptions=True)
