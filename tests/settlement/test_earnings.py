"""Earnings by kind and state: the read side, and `GET /v1/dealers/{id}/earnings`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.settlement.earnings import dealer_earnings
from shared.clock import FakeClock
from shared.messages.settlement import ReleaseEarnings
from shared.runtime import Runtime
from tests.conftest import ApiClient
from tests.orders.conftest import dealer
from tests.settlement.support import Books, returned, snapshot, stages

MONDAY = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 2026-W02


async def week_of_sales(runtime: Runtime) -> FakeClock:
    """B fulfils a prepaid phone for A's customer and a cash-on-delivery phone of its own."""
    clock = FakeClock(MONDAY)
    runtime.clock = clock
    books = Books(runtime.db, clock)
    first = snapshot("o1", at=MONDAY)
    await books.apply(*stages(first, MONDAY + timedelta(hours=1)))
    cod = snapshot("o2", at=MONDAY, origin="B", payment="cod")
    await books.apply(*stages(cod, MONDAY + timedelta(hours=2)))
    held = snapshot("o3", at=MONDAY + timedelta(days=1))
    await books.apply(stages(held, MONDAY)[0])  # accepted, not yet handed over
    clock.advance(days=7, hours=2)
    await books.apply(ReleaseEarnings(order_id="o1"), ReleaseEarnings(order_id="o2"))
    await books.apply(returned(cod, "r1", clock.now(), PX_1=1))  # after release: off available
    return clock


async def test_figures_by_kind_and_by_state(runtime: Runtime) -> None:
    await week_of_sales(runtime)
    start, end = MONDAY - timedelta(hours=10), MONDAY + timedelta(days=6, hours=14)  # W02
    week = await dealer_earnings(runtime.db, "B", start, end)
    assert (week.fulfilled, week.originated) == (2, 1)
    [cny] = week.currencies
    assert (cny.fulfilment, cny.referral) == (3 * 184930, 4990)
    assert (cny.held, cny.pending, cny.available, cny.paid) == (184930, 2 * 184930 + 4990, 0, 0)
    assert cny.cash_owed == 199900  # collected on delivery, owed to HQ
    later = await dealer_earnings(runtime.db, "B", end, end + timedelta(days=7))  # W03
    [cny] = later.currencies
    assert (cny.fulfilment, cny.referral) == (-184930, -4990)  # the return, booked in W03
    assert (cny.pending, cny.available, cny.cash_owed) == (0, 184930, 0)
    assert cny.net == 184930
    assert (await dealer_earnings(runtime.db, "A", start, end)).currencies[0].pending == 4990
    nobody = await dealer_earnings(runtime.db, "Z", start, end)
    assert nobody.empty and nobody.currencies == []


async def test_the_http_api_shows_the_same_figures(runtime: Runtime, api: ApiClient) -> None:
    for dealer_id in ("A", "B"):
        body = dealer(f"Store {dealer_id}", 30.66, 104.07)
        assert (await api.call("PUT", f"/v1/dealers/{dealer_id}", body))[0] == 201
    await week_of_sales(runtime)
    status, body = await api.call("GET", "/v1/dealers/B/earnings?from=2026-01-05&to=2026-01-11")
    assert status == 200, body
    assert body["from"] == "2026-01-04T16:00:00Z" and body["to"] == "2026-01-11T16:00:00Z"
    assert body["time_zone"] == "Asia/Shanghai"
    assert body["orders"] == {"fulfilled": 2, "originated": 1}
    assert body["currencies"] == [
        {
            "currency": "CNY",
            "by_kind": {"fulfilment": "5547.90", "referral": "49.90"},
            "by_state": {
                "held": "1849.30", "pending": "3748.50", "available": "0.00", "paid": "0.00",
            },
            "cash_owed": "1999.00",
            "net": "-1999.00",
        }
    ]  # fmt: skip
    status, body = await api.call(
        "GET", "/v1/dealers/B/earnings?from=2026-01-12T00:00:00%2B08:00&to=2026-01-18"
    )
    assert status == 200 and body["currencies"][0]["by_state"]["available"] == "1849.30"
    status, body = await api.call("GET", "/v1/dealers/B/earnings")  # this month, by default
    assert status == 200 and body["from"] == "2025-12-31T16:00:00Z"


async def test_bad_periods_and_unknown_dealers_are_refused(
    runtime: Runtime, api: ApiClient
) -> None:
    assert (await api.call("PUT", "/v1/dealers/B", dealer("B", 30.66, 104.07)))[0] == 201
    status, body = await api.call("GET", "/v1/dealers/nobody/earnings")
    assert status == 404 and body["error"]["code"] == "unknown_dealer"
    for query, field in [
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("from=2026-01-05T10:00:00", "from"),  # a time needs its offset
        ("from=2026-01-10&to=2026-01-05", "to"),
        ("from=2020-01-01&to=2026-01-05", "to"),
    ]:
        status, body = await api.call("GET", f"/v1/dealers/B/earnings?{query}")
        assert status == 422, (query, body)
        assert body["error"]["fields"][0]["field"] == field
    status, _ = await api.call("GET", "/v1/dealers/B/earnings", headers={"Authorization": "x"})
    assert status == 401
