"""Order events booked on real SQL: each stage once, in any order, and exactly reversed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from services.settlement.check import check_ledger
from services.settlement.handlers import release_timer
from services.settlement.models import SettledOrder
from shared.bus.handling import Context
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.models import TimerRow
from shared.db.uow import unit_of_work
from shared.messages import Envelope
from shared.messages.settlement import ReleaseEarnings
from tests.settlement.support import (
    CASE,
    PHONE,
    WINDOW,
    ZONE,
    Books,
    balances,
    returned,
    snapshot,
    stages,
    transaction_keys,
    voided,
)

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
HANDED = T0 + timedelta(hours=3)
HELD = {
    "customer_clearing": -199900,
    "dealer:B:earnings:held": 184930,  # W + 70% of M
    "dealer:A:earnings:held": 4990,  # 10% of M
    "hq:revenue": 9980,
}


@pytest.fixture
def books(db: Database) -> Books:
    return Books(db, FakeClock(T0))


async def assert_sound(db: Database) -> None:
    report = await check_ledger(db, zone=ZONE)
    assert report.ok, report.violation


async def test_an_accepted_sale_is_held_once_however_often_it_arrives(
    books: Books, db: Database
) -> None:
    accepted, _ = stages(snapshot(at=T0), HANDED)
    await books.apply(accepted, accepted, accepted)
    assert await transaction_keys(db) == ["order:o1:accepted"]
    assert await balances(db) == HELD
    await assert_sound(db)


async def test_handover_makes_it_pending_and_the_window_makes_it_available(
    books: Books, db: Database
) -> None:
    accepted, handed = stages(snapshot(at=T0), HANDED)
    await books.apply(accepted, handed, handed)
    assert await balances(db) == {
        "customer_clearing": -199900,
        "dealer:B:earnings:pending": 184930,
        "dealer:A:earnings:pending": 4990,
        "hq:revenue": 9980,
    }
    async with db.read() as session:
        timer = await session.get(TimerRow, release_timer("o1"))
    assert timer is not None and timer.due_at == HANDED + WINDOW
    await books.apply(ReleaseEarnings(order_id="o1"), ReleaseEarnings(order_id="o1"))
    assert (await balances(db))["dealer:B:earnings:available"] == 184930
    assert await transaction_keys(db) == [
        "order:o1:accepted", "order:o1:handed_over", "order:o1:released",
    ]  # fmt: skip
    await assert_sound(db)


async def test_a_handover_seen_before_its_acceptance_books_the_hold_first(
    db: Database, books: Books
) -> None:
    accepted, handed = stages(snapshot(at=T0), HANDED)
    await books.apply(handed, accepted)
    assert await transaction_keys(db) == ["order:o1:accepted", "order:o1:handed_over"]
    assert await balances(db) == {
        "customer_clearing": -199900,
        "dealer:B:earnings:pending": 184930,
        "dealer:A:earnings:pending": 4990,
        "hq:revenue": 9980,
    }
    async with db.read() as session:
        row = await session.get(SettledOrder, "o1")
    assert row is not None and row.accepted_at == T0 and row.handed_over_at == HANDED
    await assert_sound(db)


@pytest.mark.parametrize("void_first", [False, True])
async def test_a_cancel_after_acceptance_voids_the_hold(
    books: Books, db: Database, void_first: bool
) -> None:
    sale = snapshot(at=T0)
    accepted, handed = stages(sale, HANDED)
    cancel = voided(sale, T0 + timedelta(minutes=5))
    await books.apply(*((cancel, accepted) if void_first else (accepted, cancel, cancel)))
    assert await balances(db) == {}
    assert await transaction_keys(db) == ["order:o1:accepted", "order:o1:voided"]
    await books.apply(handed)  # a handover after a cancel cannot be: it is left alone
    assert await balances(db) == {}
    await assert_sound(db)


async def test_returns_reverse_exactly_the_returned_lines(books: Books, db: Database) -> None:
    sale = snapshot("o1", PHONE, CASE, at=T0)
    accepted, handed = stages(sale, HANDED)
    await books.apply(accepted, handed)
    before = await balances(db)
    # CASE-1: 3 × 99.00, W 120.00, M 177.00: B 243.90, A 17.70, HQ 35.40 for the line.
    first = returned(sale, "r1", HANDED + timedelta(days=1), CASE_1=1)
    await books.apply(first, first)
    after = await balances(db)
    assert before["dealer:B:earnings:pending"] - after["dealer:B:earnings:pending"] == 8130
    assert before["dealer:A:earnings:pending"] - after["dealer:A:earnings:pending"] == 590
    assert before["hq:revenue"] - after["hq:revenue"] == 9900 - 8130 - 590
    assert after["customer_clearing"] - before["customer_clearing"] == 9900
    with pytest.raises(ValueError, match="cannot return 3 more"):
        await books.apply(returned(sale, "r-too-many", HANDED, CASE_1=3))
    await books.apply(returned(sale, "r2", HANDED + timedelta(days=2), CASE_1=2, PX_1=1))
    assert await balances(db) == {}  # every balance back where it was before the sale
    await assert_sound(db)


async def test_a_return_after_release_comes_off_available(books: Books, db: Database) -> None:
    sale = snapshot(at=T0)
    await books.apply(*stages(sale, HANDED), ReleaseEarnings(order_id="o1"))
    await books.apply(returned(sale, "r1", HANDED + timedelta(days=9), PX_1=1))
    assert await balances(db) == {}
    await assert_sound(db)


async def test_a_return_seen_first_books_the_hold_and_the_handover(
    books: Books, db: Database
) -> None:
    sale = snapshot(at=T0, handed_over_at=HANDED)
    await books.apply(returned(sale, "r1", HANDED + timedelta(days=1), PX_1=1))
    await books.apply(*stages(sale, HANDED))
    assert await transaction_keys(db) == [
        "order:o1:accepted", "order:o1:handed_over", "order:o1:return:r1",
    ]  # fmt: skip
    assert await balances(db) == {}
    await assert_sound(db)


async def test_cash_on_delivery_books_what_the_dealer_collected_as_owed(
    books: Books, db: Database
) -> None:
    sale = snapshot(at=T0, payment="cod")
    await books.apply(*stages(sale, HANDED))
    got = await balances(db)
    assert got["dealer:B:cash_owed"] == -199900 and "customer_clearing" not in got
    await books.apply(returned(sale, "r1", HANDED, PX_1=1))  # the dealer refunded the cash
    assert await balances(db) == {}
    await assert_sound(db)


async def test_hqs_warehouse_fulfilling_leaves_the_fulfilment_share_with_hq(
    books: Books, db: Database
) -> None:
    sale = snapshot(at=T0, fulfil="hq-warehouse", fulfilled_by_hq=True, payment="cod")
    await books.apply(*stages(sale, HANDED))
    assert await balances(db) == {
        "customer_clearing": -199900,
        "dealer:A:earnings:pending": 4990,
        "hq:revenue": 194910,
    }
    await assert_sound(db)


async def test_the_order_row_keeps_the_snapshot_and_the_state(books: Books, db: Database) -> None:
    sale = snapshot("o1", PHONE, CASE, at=T0)
    await books.apply(*stages(sale, HANDED), returned(sale, "r1", HANDED, CASE_1=2))
    async with db.read() as session:
        row = (await session.exec(select(SettledOrder))).one()
    assert (row.state, row.returned, row.available_at) == (
        "pending",
        {"CASE-1": 2},
        HANDED + WINDOW,
    )
    assert [line["sku"] for line in row.lines] == ["PX-1", "CASE-1"]


async def test_an_orders_events_in_one_batch_are_booked_in_one_transaction(
    books: Books, db: Database
) -> None:
    sale = snapshot("o1", PHONE, CASE, at=T0)
    accepted, handed = stages(sale, HANDED)
    batch = [
        accepted,
        handed,
        returned(sale, "r1", HANDED, CASE_1=3),
        ReleaseEarnings(order_id="o1"),
    ]
    async with unit_of_work(db, books.clock) as uow:  # as the consumer applies a batch
        for message in batch:
            context = Context(Envelope.wrap(message, books.clock), uow, books.clock, 1)
            await books.handlers[type(message)](message, context)
    got = await balances(db)
    assert got["dealer:B:earnings:available"] == 184930
    assert got["dealer:A:earnings:available"] == 4990
    async with db.read() as session:
        row = await session.get(SettledOrder, "o1")
    assert row is not None and (row.state, row.returned) == ("available", {"CASE-1": 3})
    await assert_sound(db)
