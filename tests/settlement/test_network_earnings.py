"""Every dealer's earnings at once, from the kept summary: the same figures as each dealer's
own (``dealer_earnings``, summed from the ledger), over any period, through returns, voids
and payouts; written in the posting's transaction, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.settlement import aggregate
from services.settlement.aggregate import Span, consistent_read
from services.settlement.earnings import Figures, dealer_earnings
from services.settlement.ledger import Entry, dealer_entry, post
from services.settlement.payouts import close_period
from services.settlement.periods import local_midnight, parse_period
from services.settlement.summary import DAYS, MONTHS, TOTALS
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.messages.settlement import ReleaseEarnings
from shared.runtime import Runtime
from tests.conftest import ApiClient
from tests.orders.conftest import dealer
from tests.settlement.support import CASE, PHONE, ZONE, Books, returned, snapshot, stages, voided

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday of 2026-W02, 10:00 in Shanghai
DEALERS = ("A", "B", "C", "Z")  # Z never sells


def day(d: date) -> datetime:
    return local_midnight(d, ZONE)


async def history(db: Database, clock: FakeClock) -> None:
    """Three weeks of sales by A, B and C: prepaid and cash on delivery, returns before
    and after the return window, a void, an order still held, and W02 and W03 paid out."""
    books = Books(db, clock)
    o1 = snapshot("o1", at=T0)  # B fulfils A's customer
    await books.apply(*stages(o1, T0 + timedelta(hours=1)))
    o2 = snapshot("o2", PHONE, CASE, at=T0, fulfil="C", origin="C", payment="cod")
    await books.apply(*stages(o2, T0 + timedelta(hours=2)))
    clock.advance(days=1)
    o3 = snapshot("o3", CASE, at=clock.now(), fulfil="A", origin="B")
    await books.apply(*stages(o3, clock.now()))
    await books.apply(returned(o3, "r3", clock.now() + timedelta(hours=3), CASE_1=1))  # pending
    clock.advance(days=1, hours=15)  # 2026-01-07 01:00 in Shanghai: just after midnight
    o4 = snapshot("o4", at=clock.now(), fulfil="B", origin=None)
    await books.apply(stages(o4, clock.now())[0], voided(o4, clock.now() + timedelta(hours=1)))
    o5 = snapshot("o5", at=clock.now(), fulfil="C", origin="A")
    await books.apply(stages(o5, clock.now())[0])  # held, never handed over
    clock.advance(days=5)
    await books.apply(*(ReleaseEarnings(order_id=o) for o in ("o1", "o2", "o3")))
    await books.apply(returned(o1, "r1", clock.now(), PX_1=1))  # after release: off available
    await books.apply(returned(o2, "r2", clock.now() + timedelta(hours=1), CASE_1=2))  # cod
    clock.advance(days=2)  # Wednesday of W03
    await close_period(db, clock, parse_period("2026-W02", ZONE), "test")
    o6 = snapshot("o6", at=clock.now(), fulfil="A", origin="C")
    await books.apply(*stages(o6, clock.now() + timedelta(hours=5)))
    clock.advance(days=6)  # Tuesday of W04
    await books.apply(ReleaseEarnings(order_id="o6"))
    await close_period(db, clock, parse_period("2026-W03", ZONE), "test")


async def each_dealer(db: Database, starts_at: datetime, ends_at: datetime) -> dict[Any, Figures]:
    """What ``dealer_earnings`` says of each dealer, its non-zero currencies."""
    found = {}
    for dealer_id in DEALERS:
        earned = await dealer_earnings(db, dealer_id, starts_at, ends_at)
        for figures in earned.currencies:
            if any(vars(figures)[n] for n in vars(figures) if n != "currency"):
                found[(dealer_id, figures.currency)] = figures
    return found


PERIODS = [
    (day(date(2026, 1, 5)), day(date(2026, 1, 12))),  # W02: the days before its end
    (day(date(2026, 1, 12)), day(date(2026, 1, 19))),  # W03: the totals less the days after
    (day(date(2026, 1, 19)), day(date(2026, 1, 26))),  # W04: nothing after it: the totals
    (day(date(2026, 1, 1)), day(date(2026, 2, 1))),  # January
    (day(date(2026, 1, 6)), day(date(2026, 1, 7))),  # one day
    (T0 + timedelta(hours=3), T0 + timedelta(days=2, hours=1)),  # times: parts of days
    (T0 + timedelta(hours=1, minutes=30), T0 + timedelta(hours=2, minutes=30)),  # one hour
    (day(date(2025, 12, 1)), day(date(2026, 1, 1))),  # before anything
    (day(date(2026, 3, 1)), day(date(2026, 4, 1))),  # after everything
]


@pytest.mark.parametrize(("starts_at", "ends_at"), PERIODS)
async def test_the_summary_gives_each_dealers_own_figures(
    db: Database, starts_at: datetime, ends_at: datetime
) -> None:
    await history(db, FakeClock(T0))
    span = Span(starts_at, ends_at, ZONE)
    async with consistent_read(db) as session:
        kept = await aggregate.figures(session, span)
        raw = await aggregate.ledger_figures(session, span)
        page = await aggregate.dealer_page(session, span, after=None, limit=100)
    expected = await each_dealer(db, starts_at, ends_at)
    assert kept == expected == raw
    assert [(d, f.currency) for d, f in page] == sorted(expected)
    if ends_at > T0 and starts_at < T0 + timedelta(days=20):
        assert expected  # the period saw something


async def test_a_page_starts_after_its_cursor_and_filters_by_dealer(db: Database) -> None:
    await history(db, FakeClock(T0))
    span = Span(day(date(2026, 1, 1)), day(date(2026, 2, 1)), ZONE)
    async with consistent_read(db) as session:
        pages, after = [], None
        while True:
            page = await aggregate.dealer_page(session, span, after=after, limit=1)
            if not page:
                break
            pages.append(page[0][0])
            after = (page[0][0], page[0][1].currency)
        only = await aggregate.dealer_page(session, span, after=None, limit=5, dealer_id="C")
    assert pages == ["A", "B", "C"]
    assert [d for d, _ in only] == ["C"]


async def summary_rows(db: Database) -> list[Any]:
    async with db.read() as session:
        connection = await session.connection()
        days, months, totals = [
            (await connection.execute(select(t).order_by(*t.primary_key))).all()
            for t in (DAYS, MONTHS, TOTALS)
        ]
    return [*days, *months, *totals]


async def test_an_event_delivered_again_adds_nothing(db: Database) -> None:
    clock = FakeClock(T0)
    books = Books(db, clock)
    sale = snapshot("o1", PHONE, CASE, at=T0)
    await books.apply(*stages(sale, T0), returned(sale, "r", T0, CASE_1=1))
    before = await summary_rows(db)
    assert before
    await books.apply(*stages(sale, T0), returned(sale, "r", T0, CASE_1=1))  # each again
    assert await summary_rows(db) == before


async def test_a_posting_rolled_back_leaves_no_summary(db: Database) -> None:
    entries = [dealer_entry("A", "held", 100, "fulfilment"), Entry("hq:revenue", -100)]
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, FakeClock(T0)) as uow:
            await post(
                uow, key="t:1", kind="hold", currency="CNY", at=T0, now=T0, zone=ZONE,
                entries=entries,
            )  # fmt: skip
            raise RuntimeError("the transaction fails after its posting")
    assert await summary_rows(db) == []
    async with unit_of_work(db, FakeClock(T0)) as uow:
        for key in ("t:1", "t:2"):  # two postings, one transaction: the rows add up
            await post(
                uow, key=key, kind="hold", currency="CNY", at=T0, now=T0, zone=ZONE,
                entries=entries,
            )  # fmt: skip
    day_row, month, total = await summary_rows(db)
    assert (day_row.dealer_id, day_row.day, day_row.fulfilment, day_row.held) == (
        "A", date(2026, 1, 5), 200, 200,
    )  # fmt: skip
    assert (month.month, month.fulfilment, month.held) == (date(2026, 1, 1), 200, 200)
    assert (total.fulfilment, total.held, total.available) == (200, 200, 0)


# Over HTTP: GET /v1/stats/earnings


async def sold(runtime: Runtime, api: ApiClient) -> FakeClock:
    """The history, with A and B in Sichuan (spelt two ways) and C in Beijing."""
    for dealer_id, region in (("A", "sichuan"), ("B", "四川"), ("C", "Beijing")):
        body = dealer(f"Store {dealer_id}", 30.66, 104.07, region=region)
        assert (await api.call("PUT", f"/v1/dealers/{dealer_id}", body))[0] == 201
    clock = FakeClock(T0)
    runtime.clock = clock
    await history(runtime.db, clock)
    return clock


AMOUNTS = ("fulfilment", "referral", "held", "pending", "available", "paid", "cash_owed", "net")


async def test_the_route_answers_each_dealers_figures_in_pages_and_as_csv(
    runtime: Runtime, api: ApiClient
) -> None:
    await sold(runtime, api)
    period = "from=2026-01-05&to=2026-01-18"
    status, body = await api.call("GET", f"/v1/stats/earnings?{period}")
    assert status == 200, body
    assert (body["from"], body["to"]) == ("2026-01-04T16:00:00Z", "2026-01-18T16:00:00Z")
    assert body["by"] == "dealer" and body["time_zone"] == "Asia/Shanghai"
    rows = body["dealers"]
    assert [r["dealer_id"] for r in rows] == ["A", "B", "C"] and body["next_cursor"] is None
    for row in rows:  # the same as each dealer's own route
        _, own = await api.call("GET", f"/v1/dealers/{row['dealer_id']}/earnings?{period}")
        [figures] = own["currencies"]
        assert row["currency"] == figures["currency"] == "CNY"
        assert {k: row[k] for k in ("fulfilment", "referral")} == figures["by_kind"]
        assert {k: row[k] for k in ("held", "pending", "available", "paid")} == figures["by_state"]
        assert (row["cash_owed"], row["net"]) == (figures["cash_owed"], figures["net"])

    walked, cursor = [], ""
    while True:
        status, page = await api.call("GET", f"/v1/stats/earnings?{period}&limit=1{cursor}")
        assert status == 200, page
        walked += page["dealers"]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert walked == rows

    status, text = await api.call("GET", f"/v1/stats/earnings?{period}&format=csv")
    assert status == 200
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "dealer_id,currency," + ",".join(AMOUNTS)
    assert [line.split(",")[0] for line in lines[1:]] == ["A", "B", "C"]

    status, body = await api.call("GET", f"/v1/stats/earnings?{period}&dealer_id=B")
    assert [r["dealer_id"] for r in body["dealers"]] == ["B"]
    status, body = await api.call("GET", f"/v1/stats/earnings?{period}&region=Sichuan")
    assert [r["dealer_id"] for r in body["dealers"]] == ["A", "B"]
    status, body = await api.call("GET", "/v1/stats/earnings")  # this month, by default
    assert status == 200 and body["from"] == "2025-12-31T16:00:00Z"
    assert [r["dealer_id"] for r in body["dealers"]] == ["A", "B", "C"]


def added(rows: list[dict[str, Any]], field: str) -> str:
    return f"{sum(round(float(r[field]) * 100) for r in rows) / 100:.2f}"


async def test_the_route_adds_up_each_region_as_the_catalog_has_it(
    runtime: Runtime, api: ApiClient
) -> None:
    await sold(runtime, api)
    period = "from=2026-01-05&to=2026-01-18"
    _, by_dealer = await api.call("GET", f"/v1/stats/earnings?{period}")
    status, body = await api.call("GET", f"/v1/stats/earnings?{period}&by=region")
    assert status == 200, body
    assert body["by"] == "region" and "next_cursor" not in body
    beijing, sichuan = body["regions"]  # by region id
    assert (sichuan["region"], sichuan["name_zh"], sichuan["name_en"]) == (
        "sichuan", "四川", "Sichuan",
    )  # fmt: skip
    assert (beijing["region"], beijing["dealers"], sichuan["dealers"]) == ("beijing", 1, 2)
    rows = {r["dealer_id"]: r for r in by_dealer["dealers"]}
    for field in AMOUNTS:
        assert sichuan[field] == added([rows["A"], rows["B"]], field), field
        assert beijing[field] == rows["C"][field], field

    status, body = await api.call("GET", f"/v1/stats/earnings?{period}&by=region&region=北京")
    assert [r["region"] for r in body["regions"]] == ["beijing"]
    status, text = await api.call("GET", f"/v1/stats/earnings?{period}&by=region&format=csv")
    assert status == 200
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("region,name_zh,name_en,currency,dealers,fulfilment")
    assert [line.split(",")[0] for line in lines[1:]] == ["beijing", "sichuan"]


async def test_the_route_refuses_what_it_cannot_answer(runtime: Runtime, api: ApiClient) -> None:
    await sold(runtime, api)
    for query, field in [
        ("by=region&limit=5", "limit"),
        ("by=region&cursor=WyJBIiwiQ05ZIl0", "cursor"),
        ("by=state", "by"),
        ("cursor=WzFd", "cursor"),  # not a cursor of this list
        ("from=2026-01-10&to=2026-01-05", "to"),
        ("from=2024-01-01&to=2026-01-05", "to"),
        ("form=2026-01-01", "form"),
    ]:
        status, body = await api.call("GET", f"/v1/stats/earnings?{query}")
        assert status == 422, (query, body)
        assert body["error"]["fields"][0]["field"] == field, (query, body)
