"""`check_ledger` passes on sound books and names the first violation of tampered ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from services.settlement.check import check_ledger
from services.settlement.payouts import close_period
from services.settlement.periods import parse_period
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages.settlement import ReleaseEarnings
from tests.settlement.support import CASE, PHONE, ZONE, Books, returned, snapshot, stages

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
async def booked(db: Database) -> Database:
    """Two orders: one released and paid out, one partly returned and still pending."""
    clock = FakeClock(T0)
    books = Books(db, clock)
    await books.apply(*stages(snapshot("o1", at=T0), T0), ReleaseEarnings(order_id="o1"))
    sale = snapshot("o2", PHONE, CASE, at=T0, payment="cod")
    await books.apply(*stages(sale, T0 + timedelta(days=8)))
    await books.apply(returned(sale, "r1", T0 + timedelta(days=9), CASE_1=1))
    clock.advance(days=14)
    await close_period(db, clock, parse_period("2026-W03", ZoneInfo("Asia/Shanghai")), "t")
    report = await check_ledger(db, zone=ZONE)
    assert report.ok, report.violation
    assert (report.orders, report.payouts) == (2, 2)
    return db


async def tamper(db: Database, sql: str, **params: Any) -> None:
    async with db.write() as session:
        connection = await session.connection()
        await connection.execute(text(sql), params)


async def violation(db: Database) -> str:
    report = await check_ledger(db, zone=ZONE)
    assert not report.ok
    assert report.violation is not None
    return report.violation


HOLD_ID = "(SELECT id FROM ledger_transactions WHERE key = 'order:o1:accepted')"
ENTRY = (
    "INSERT INTO ledger_entries (transaction_id, account, currency, amount, dealer_id, bucket,"
    " share, sku) VALUES ({tx}, :account, :currency, :amount, :dealer, :bucket, :share, NULL)"
)


async def test_an_unbalanced_transaction_is_named(booked: Database) -> None:
    await tamper(booked, ENTRY.format(tx=HOLD_ID), account="hq:revenue", currency="CNY",
                 amount=1, dealer=None, bucket=None, share="hq")  # fmt: skip
    assert "transaction order:o1:accepted does not balance: its entries add up to 1 CNY" in (
        await violation(booked)
    )


async def test_an_entry_in_another_currency_is_named(booked: Database) -> None:
    await tamper(booked, ENTRY.format(tx=HOLD_ID), account="hq:revenue", currency="USD",
                 amount=0, dealer=None, bucket=None, share="hq")  # fmt: skip
    assert "an entry in USD" in await violation(booked)


async def test_a_split_that_does_not_add_up_to_what_was_paid_is_named(booked: Database) -> None:
    lines = json.dumps([PHONE.model_dump() | {"unit_price": 199800}])
    await tamper(booked, "UPDATE settlement_orders SET lines = :lines WHERE order_id = 'o1'",
                 lines=lines)  # fmt: skip
    assert "order o1: its split adds up to 199900 CNY, but the customer paid 199800" in (
        await violation(booked)
    )


async def test_money_in_a_state_the_order_is_not_in_is_named(booked: Database) -> None:
    await tamper(booked, "UPDATE settlement_orders SET state = 'held' WHERE order_id = 'o2'")
    assert "order o2 is held but dealer" in await violation(booked)


async def test_a_negative_dealer_share_is_named(booked: Database) -> None:
    await tamper(
        booked,
        "INSERT INTO ledger_transactions (key, kind, order_id, currency, at, posted_at, detail)"
        " VALUES ('adjust:1', 'adjust', 'o2', 'CNY', :at, :at, '{}')",
        at=T0.replace(tzinfo=None) if booked.is_sqlite else T0,
    )
    tx = "(SELECT id FROM ledger_transactions WHERE key = 'adjust:1')"
    await tamper(booked, ENTRY.format(tx=tx), account="dealer:A:earnings:pending",
                 currency="CNY", amount=-10000, dealer="A", bucket="pending",
                 share="referral")  # fmt: skip
    await tamper(booked, ENTRY.format(tx=tx), account="hq:revenue", currency="CNY",
                 amount=10000, dealer=None, bucket=None, share=None)  # fmt: skip
    assert "dealer A's referral share is negative" in await violation(booked)


async def test_a_payout_line_that_differs_from_its_entries_is_named(booked: Database) -> None:
    await tamper(booked, "UPDATE payout_lines SET paid = paid + 1 WHERE dealer_id = 'B'")
    assert "payout payout:2026-W03:B:CNY: the line says" in await violation(booked)


async def test_an_order_without_its_hold_is_named(booked: Database) -> None:
    await tamper(
        booked,
        "INSERT INTO settlement_orders (order_id, channel, currency, payment,"
        " fulfilling_dealer_id, fulfilled_by_hq, lines, state, returned, accepted_at, updated_at)"
        " VALUES ('o0', 'mall', 'CNY', 'prepaid', 'B', false, '[]', 'held', '{}', :at, :at)",
        at=T0.replace(tzinfo=None) if booked.is_sqlite else T0,
    )
    assert await violation(booked) == "order o0 has no hold transaction"


async def test_totals_that_are_not_the_sum_of_their_days_are_named(booked: Database) -> None:
    await tamper(booked, "UPDATE earnings_totals SET held = held + 1 WHERE dealer_id = 'B'")
    assert await violation(booked) == (
        "earnings summary: dealer B's totals in CNY are not the sum of its days "
        "(totals less days: held +1)"
    )


async def test_a_summary_day_that_differs_from_its_entries_is_named(booked: Database) -> None:
    for table, where in (("earnings_days", " AND day = '2026-01-13'"), ("earnings_totals", "")):
        await tamper(booked, f"UPDATE {table} SET pending = pending + 7, referral = referral - 2"
                     f" WHERE dealer_id = 'B'{where}")  # fmt: skip
    assert await violation(booked) == (
        "earnings summary: dealer B on 2026-01-13 (CNY) differs from the entries booked that "
        "day (entries less summary: referral +2, pending -7)"
    )


async def test_a_posting_missing_from_the_summary_is_named(booked: Database) -> None:
    await tamper(booked, "DELETE FROM earnings_days WHERE dealer_id = 'A'")
    await tamper(booked, "DELETE FROM earnings_totals WHERE dealer_id = 'A'")
    found = await violation(booked)
    assert found.startswith("earnings summary: dealer A on 2026-01-05 (CNY) differs"), found


async def test_a_month_that_is_not_the_sum_of_its_days_is_named(booked: Database) -> None:
    for table, where in (("earnings_months", "month = '2026-01-01'"), ("earnings_totals", "1=1")):
        await tamper(
            booked, f"UPDATE {table} SET paid = paid + 3 WHERE dealer_id = 'A' AND {where}"
        )
    assert await violation(booked) == (
        "earnings summary: dealer A's month 2026-01 in CNY is not the sum of its days "
        "(month less days: paid +3)"
    )
