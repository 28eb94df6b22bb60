"""`GET /v1/payouts` and `GET /v1/payouts/{period}`: the periods closed, newest first, and a
period's lines, as JSON and as the very payout file a close writes."""

from __future__ import annotations

from datetime import UTC, datetime

from services.settlement.models import SettlementPeriod
from services.settlement.payouts import close_period, payout_csv
from services.settlement.periods import parse_period
from shared.clock import FakeClock
from shared.messages.settlement import ReleaseEarnings
from shared.runtime import Runtime
from tests.conftest import TEST_TOKEN, ApiClient
from tests.settlement.support import ZONE, Books, snapshot, stages

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday of 2026-W02, 10:00 in Shanghai
RANGE = "2026-01-19..2026-01-31"


async def closed(runtime: Runtime) -> FakeClock:
    """W03 closed (A and B paid, C owes HQ more cash than it earned), then the rest of
    January (C still owes it)."""
    clock = FakeClock(T0)
    runtime.clock = clock
    books = Books(runtime.db, clock)
    await books.apply(*stages(snapshot("o1", at=T0), T0), ReleaseEarnings(order_id="o1"))
    cod = snapshot("o2", at=T0, fulfil="C", origin=None, payment="cod")
    await books.apply(*stages(cod, T0), ReleaseEarnings(order_id="o2"))
    clock.advance(days=14)
    await close_period(runtime.db, clock, parse_period("2026-W03", ZONE), "test")
    clock.advance(days=14)
    await close_period(runtime.db, clock, parse_period(RANGE, ZONE), "cli")
    return clock


async def test_the_periods_are_listed_newest_first_with_their_totals(
    runtime: Runtime, api: ApiClient
) -> None:
    await closed(runtime)
    status, body = await api.call("GET", "/v1/payouts")
    assert status == 200, body
    latest, w03 = body["periods"]
    assert body["next_cursor"] is None
    assert (latest["period"], latest["first_day"], latest["last_day"]) == (
        RANGE, "2026-01-19", "2026-01-31",
    )  # fmt: skip
    assert (latest["state"], latest["closed_by"]) == ("closed", "cli")
    assert latest["totals"] == [  # C's debt, carried again
        {"currency": "CNY", "dealers": 1, "paid": "0.00", "carried_debt": "149.70"}
    ]
    assert (w03["period"], w03["first_day"], w03["last_day"]) == (
        "2026-W03", "2026-01-12", "2026-01-18",
    )  # fmt: skip
    assert (w03["starts_at"], w03["ends_at"]) == ("2026-01-11T16:00:00Z", "2026-01-18T16:00:00Z")
    assert w03["totals"] == [
        {"currency": "CNY", "dealers": 3, "paid": "1899.20", "carried_debt": "149.70"}
    ]
    status, first = await api.call("GET", "/v1/payouts?limit=1")
    assert [p["period"] for p in first["periods"]] == [RANGE]
    status, rest = await api.call("GET", f"/v1/payouts?limit=1&cursor={first['next_cursor']}")
    assert [p["period"] for p in rest["periods"]] == ["2026-W03"] and rest["next_cursor"] is None
    status, text = await api.call("GET", "/v1/payouts?format=csv")
    assert status == 200 and text.lstrip("\ufeff").startswith("period,first_day,last_day,")

    w06 = parse_period("2026-W06", ZONE)  # a close that started and has not finished
    async with runtime.db.write() as session:
        session.add(
            SettlementPeriod(
                period=w06.label, starts_at=w06.starts_at, ends_at=w06.ends_at,
                started_at=w06.ends_at, closed_by="scheduler",
            )
        )  # fmt: skip
    status, body = await api.call("GET", "/v1/payouts?limit=1")
    [closing] = body["periods"]
    assert (closing["period"], closing["state"], closing["closed_at"]) == (
        "2026-W06",
        "closing",
        None,
    )


async def test_a_period_answers_its_lines_and_its_payout_file(
    runtime: Runtime, api: ApiClient
) -> None:
    await closed(runtime)
    status, body = await api.call("GET", "/v1/payouts/2026-W03")
    assert status == 200, body
    assert body["period"] == "2026-W03" and body["state"] == "closed"
    assert body["lines"] == [
        {"period": "2026-W03", "dealer_id": "A", "currency": "CNY", "available": "49.90",
         "cash_owed": "0.00", "net": "49.90", "pay": "49.90", "carried_debt": "0.00"},
        {"period": "2026-W03", "dealer_id": "B", "currency": "CNY", "available": "1849.30",
         "cash_owed": "0.00", "net": "1849.30", "pay": "1849.30", "carried_debt": "0.00"},
        {"period": "2026-W03", "dealer_id": "C", "currency": "CNY", "available": "1849.30",
         "cash_owed": "1999.00", "net": "-149.70", "pay": "0.00", "carried_debt": "149.70"},
    ]  # fmt: skip
    async with api.http.get(
        f"{api.url}/v1/payouts/2026-W03?format=csv",
        headers={"Authorization": f"Bearer {TEST_TOKEN}"},
    ) as r:
        assert r.status == 200 and r.content_type == "text/csv"
        assert r.headers["Content-Disposition"] == 'attachment; filename="payouts-2026-W03.csv"'
        file = await r.text()
    again = await close_period(runtime.db, runtime.clock, parse_period("2026-W03", ZONE), "t")
    assert file == payout_csv(again.lines)  # the file `baton settle close` writes
    status, text = await api.call("GET", "/v1/payouts/2026-W03", headers={"Accept": "text/csv"})
    assert status == 200 and text == file

    status, body = await api.call("GET", f"/v1/payouts/{RANGE}")  # a label with ".."
    assert status == 200 and body["period"] == RANGE
    assert [(line["dealer_id"], line["carried_debt"]) for line in body["lines"]] == [
        ("C", "149.70")
    ]


async def test_an_unknown_period_is_a_404_that_says_which_exist(
    runtime: Runtime, api: ApiClient
) -> None:
    await closed(runtime)
    for label in ("2026-W04", "2026-02-01..2026-02-28", "next-week"):
        status, body = await api.call("GET", f"/v1/payouts/{label}")
        assert status == 404, (label, body)
        assert body["error"]["code"] == "unknown_period"
        assert "GET /v1/payouts lists" in body["error"]["message"]
        assert body["error"]["fields"][0]["field"] == "period"
