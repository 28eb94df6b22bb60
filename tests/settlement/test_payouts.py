"""Closing periods: available becomes paid once, cash owed is netted, debts are carried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.settlement.check import check_ledger
from services.settlement.payouts import close_period, payout_csv
from services.settlement.periods import PeriodError, parse_period
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages.settlement import ReleaseEarnings
from tests.settlement.support import (
    ZONE,
    Books,
    balances,
    returned,
    snapshot,
    stages,
    transaction_keys,
)

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday of 2026-W02, 10:00 in Shanghai
W03 = parse_period("2026-W03", TZ)  # released on Monday 12 January: inside W03
W04 = parse_period("2026-W04", TZ)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def books(db: Database, clock: FakeClock) -> Books:
    return Books(db, clock)


async def sell(books: Books, order_id: str, payment: str = "prepaid") -> None:
    """A phone sold, handed over at T0 and released a week later (fulfilled by B, from A)."""
    sale = snapshot(order_id, at=T0, payment=payment)
    await books.apply(*stages(sale, T0), ReleaseEarnings(order_id=order_id))


async def test_a_close_pays_what_is_available_once(
    books: Books, db: Database, clock: FakeClock
) -> None:
    await sell(books, "o1")
    clock.advance(days=14)  # Monday of W04
    closed = await close_period(db, clock, W03, "test")
    assert closed.newly_closed
    lines = {(line.dealer_id, line.paid, line.carried) for line in closed.lines}
    assert lines == {("A", 4990, 0), ("B", 184930, 0)}
    got = await balances(db)
    assert got["dealer:B:earnings:paid"] == 184930 and "dealer:B:earnings:available" not in got
    again = await close_period(db, clock, W03, "test")
    assert not again.newly_closed and len(again.lines) == 2
    assert len([k for k in await transaction_keys(db) if k.startswith("payout:")]) == 2
    assert payout_csv(closed.lines).splitlines() == [
        "period,dealer_id,currency,available,cash_owed,net,pay,carried_debt",
        "2026-W03,A,CNY,49.90,0.00,49.90,49.90,0.00",
        "2026-W03,B,CNY,1849.30,0.00,1849.30,1849.30,0.00",
    ]
    assert (await check_ledger(db, zone=ZONE)).ok


async def test_cash_on_delivery_is_netted_and_a_debt_is_carried_not_dropped(
    books: Books, db: Database, clock: FakeClock
) -> None:
    await sell(books, "cod-1", payment="cod")  # B collected 1999.00, earned 1849.30
    clock.advance(days=14)
    closed = await close_period(db, clock, W03, "test")
    b = next(line for line in closed.lines if line.dealer_id == "B")
    assert (b.available, b.cash_owed, b.paid, b.carried) == (184930, -199900, 0, -14970)
    got = await balances(db)
    assert got["dealer:B:cash_owed"] == -14970  # carried into the next statement
    # B fulfils a prepaid order worth more than the debt (released in W05); that close nets.
    sale = snapshot("pre-1", at=clock.now())
    await books.apply(*stages(sale, clock.now()))
    clock.advance(days=7)
    await books.apply(ReleaseEarnings(order_id="pre-1"))
    clock.advance(days=7)
    closed = await close_period(db, clock, parse_period("2026-W05", TZ), "t")
    b = next(line for line in closed.lines if line.dealer_id == "B")
    assert (b.available, b.cash_owed, b.paid, b.carried) == (184930, -14970, 169960, 0)
    assert "dealer:B:cash_owed" not in await balances(db)
    assert (await check_ledger(db, zone=ZONE)).ok


async def test_a_return_after_payout_is_carried_as_a_debt(
    books: Books, db: Database, clock: FakeClock
) -> None:
    await sell(books, "o1")
    clock.advance(days=14)
    await close_period(db, clock, W03, "test")
    await books.apply(returned(snapshot("o1", at=T0), "r1", clock.now(), PX_1=1))
    got = await balances(db)
    assert got["dealer:B:earnings:available"] == -184930  # negative, and kept
    clock.advance(days=7)
    b = next(
        line for line in (await close_period(db, clock, W04, "t")).lines if line.dealer_id == "B"
    )
    assert (b.paid, b.carried) == (0, -184930)
    assert (await balances(db))["dealer:B:cash_owed"] == -184930
    assert (await check_ledger(db, zone=ZONE)).ok


async def test_money_released_after_the_period_waits_for_the_next(
    books: Books, db: Database, clock: FakeClock
) -> None:
    sale = snapshot("late", at=T0 + timedelta(days=7))
    await books.apply(*stages(sale, T0 + timedelta(days=7)))  # released on 19 Jan: W04
    clock.advance(days=14)
    await books.apply(ReleaseEarnings(order_id="late"))
    assert (await close_period(db, clock, W03, "t")).lines == []
    clock.advance(days=7)
    assert {line.dealer_id for line in (await close_period(db, clock, W04, "t")).lines} == {
        "A",
        "B",
    }


async def test_a_close_refuses_an_open_or_out_of_order_period_and_changes_nothing(
    books: Books, db: Database, clock: FakeClock
) -> None:
    await sell(books, "o1")
    clock.advance(days=14)
    with pytest.raises(PeriodError, match="has not ended"):
        await close_period(db, clock, W04, "t")
    clock.advance(days=7)
    await close_period(db, clock, W04, "t")
    before = await transaction_keys(db)
    with pytest.raises(PeriodError, match="close periods in order"):
        await close_period(db, clock, W03, "t")
    assert await transaction_keys(db) == before


def test_periods_are_read_in_the_settlement_time_zone() -> None:
    assert (W03.first_day.isoformat(), W03.last_day.isoformat()) == ("2026-01-12", "2026-01-18")
    assert W03.starts_at == datetime(2026, 1, 11, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    days = parse_period("2026-01-01..2026-01-31", TZ)
    assert days.label == "2026-01-01..2026-01-31" and days.ends_at == datetime(
        2026, 1, 31, 16, 0, tzinfo=UTC
    )
    for bad in (
        "2026-W54",
        "2026-13-01..2026-13-02",
        "2026-02-01..2026-01-01",
        "last week",
        "2020-01-01..2022-01-01",
    ):
        with pytest.raises(PeriodError):
            parse_period(bad, TZ)
