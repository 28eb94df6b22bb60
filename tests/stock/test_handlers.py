"""The stock handlers through real consumers, Redis and SQL: races, repeats, expiry, counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlmodel import col, select

from services.stock.handlers import apply_report, reserve_stock_batch, timer_key
from services.stock.models import StockLevel, StockReservation
from services.stock.view import availability, rebuild
from shared.bus.handling import Context
from shared.bus.streams import DEAD_LETTER
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.models import OutboxRow, TimerRow
from shared.db.uow import unit_of_work
from shared.messages import Envelope
from shared.messages.stock import (
    CommitReservation,
    HoldReservation,
    ReleaseReservation,
    ReportStock,
    ReservationCommitted,
    ReservationReleased,
    ReserveStock,
    Restock,
    StockCount,
    StockLine,
    StockReserved,
    StockUnavailable,
)
from tests.bus.support import eventually
from tests.stock.conftest import Stock, count_now, reserve_now


def count(dealer: str, source: str = "chat", **on_hand: int) -> ReportStock:
    return ReportStock(
        dealer_id=dealer,
        counts=[StockCount(sku=sku, on_hand=n) for sku, n in on_hand.items()],
        source=source,
    )


def reserve(clock: FakeClock, rid: str, dealer: str = "d1", minutes: int = 5, **qty: int):
    return ReserveStock(
        request_id=rid,
        order_id=f"order-{rid}",
        dealer_id=dealer,
        lines=[StockLine(sku=sku, qty=n) for sku, n in qty.items()],
        expires_at=clock.now() + timedelta(minutes=minutes),
    )


async def blocked_readers(redis: Redis) -> int:
    return sum(
        1 for c in await redis.client_list() if c["cmd"] == "xreadgroup" and "b" in c["flags"]
    )


async def test_two_orders_racing_for_the_last_unit_on_two_replicas(
    stock: Stock, clock: FakeClock, redis: Redis
) -> None:
    one, two = stock.replica(batch=1, block_ms=10_000), stock.replica(batch=1, block_ms=10_000)
    await stock.run(count("d1", X=1))
    # Both replicas wait in XREADGROUP, so Redis hands one order to each.
    await eventually(lambda: _both_blocked(redis))
    await stock.publisher.publish_raw(
        ("stock", Envelope.wrap(reserve(clock, rid, X=1), clock).encode()) for rid in ("a", "b")
    )
    await stock.settle()
    assert (one.stats.applied, two.stats.applied) in ((2, 1), (1, 2))  # the count + one order
    reserved = await stock.events(StockReserved)
    unavailable = await stock.events(StockUnavailable)
    assert len(reserved) == 1 and len(unavailable) == 1
    assert {reserved[0].request_id, unavailable[0].request_id} == {"a", "b"}
    assert unavailable[0].short == ["X"]
    assert await stock.level("d1", "X") == (1, 1)
    await stock.assert_view_matches()


async def _both_blocked(redis: Redis) -> bool:
    return await blocked_readers(redis) == 2


@pytest.mark.parametrize("batch", [1, 4])
async def test_many_orders_on_three_replicas_never_promise_a_unit_twice(
    stock: Stock, clock: FakeClock, batch: int
) -> None:
    for _ in range(3):
        stock.replica(batch=batch)
    await stock.run(count("d1", X=5, Y=3))
    orders = [
        # Lines in both orders: the handlers lock levels by SKU whatever the message says.
        reserve(clock, f"r{i}", Y=1, X=1) if i % 2 else reserve(clock, f"r{i}", X=1)
        for i in range(20)
    ]
    await stock.run(*orders, count("d1", Y=3, X=5), count("d1", X=5))
    reserved = await stock.events(StockReserved)
    assert len(reserved) == 5
    assert len(await stock.events(StockUnavailable)) == 15
    assert await stock.level("d1", "X") == (5, 5)
    y_holders = sum(1 for e in reserved if int(e.request_id[1:]) % 2)
    assert await stock.level("d1", "Y") == (3, y_holders)
    await stock.assert_view_matches()
    assert sum(c.stats.deadlocks for c in stock.replicas) == 0
    if batch == 1:  # one message a transaction: ordered locks, so no deadlock to retry
        assert sum(c.stats.failures for c in stock.replicas) == 0


async def test_a_repeated_reserve_stock_reserves_nothing_more_and_answers_again(
    stock: Stock, clock: FakeClock
) -> None:
    stock.replica()
    await stock.run(count("d1", X=3))
    first = reserve(clock, "r1", X=2)
    await stock.run(first)
    await stock.run(first)  # the same command again, in a new envelope
    assert await stock.level("d1", "X") == (3, 2)
    assert [e.request_id for e in await stock.events(StockReserved)] == ["r1", "r1"]
    refused = reserve(clock, "r2", X=2, Z=1)
    await stock.run(refused, refused)
    answers = await stock.events(StockUnavailable)
    assert [(e.request_id, e.short) for e in answers] == [("r2", ["X", "Z"])] * 2
    assert await stock.level("d1", "X") == (3, 2)


async def test_a_reservation_expires_through_its_durable_timer(
    stock: Stock, clock: FakeClock, redis: Redis
) -> None:
    stock.replica()
    await stock.run(count("d1", X=2), reserve(clock, "r1", minutes=5, X=2))
    assert (await availability(redis, ["d1"], ["X"]))["d1"]["X"] == 0
    assert await stock.expire(minutes=4) == 0
    assert await stock.expire(minutes=2) == 1
    released = await stock.events(ReservationReleased)
    assert [(e.request_id, e.order_id, e.reason) for e in released] == [
        ("r1", "order-r1", "expired")
    ]
    assert await stock.level("d1", "X") == (2, 0)
    assert (await stock.reservation("r1")).state == "released"
    assert (await availability(redis, ["d1"], ["X"]))["d1"]["X"] == 2


async def test_a_held_reservation_survives_its_offer_expiry(stock: Stock, clock: FakeClock) -> None:
    stock.replica()
    await stock.run(count("d1", X=2), reserve(clock, "r1", minutes=5, X=1))
    await stock.run(HoldReservation(request_id="r1"))
    assert await stock.expire(days=3) == 0
    assert await stock.level("d1", "X") == (2, 1)
    assert await stock.events(ReservationReleased) == []


async def test_an_expiry_already_on_its_way_when_the_hold_lands_is_ignored(
    stock: Stock, clock: FakeClock
) -> None:
    stock.replica()
    await stock.run(count("d1", X=2), reserve(clock, "r1", minutes=5, X=1))
    clock.advance(minutes=6)
    assert await stock.timers.fire_due() == 1  # the expiry is in the outbox, not yet sent
    await stock.send(HoldReservation(request_id="r1", expires_at=clock.now() + timedelta(hours=1)))
    await stock.settle()
    assert (await stock.reservation("r1")).state == "held"
    assert await stock.level("d1", "X") == (2, 1)
    assert await stock.expire(hours=2) == 1  # the moved timer still fires at its new time
    assert [e.reason for e in await stock.events(ReservationReleased)] == ["expired"]
    assert await stock.level("d1", "X") == (2, 0)


async def test_commit_takes_the_units_off_hand_once(stock: Stock, clock: FakeClock) -> None:
    stock.replica()
    await stock.run(count("d1", X=5, Y=1), reserve(clock, "r1", X=2, Y=1))
    await stock.run(HoldReservation(request_id="r1"), CommitReservation(request_id="r1"))
    await stock.run(CommitReservation(request_id="r1"))
    assert await stock.level("d1", "X") == (3, 0)
    assert await stock.level("d1", "Y") == (0, 0)
    assert [e.request_id for e in await stock.events(ReservationCommitted)] == ["r1"]
    assert await stock.expire(days=1) == 0  # the commit dropped the timer
    await stock.assert_view_matches()


async def test_an_illegal_move_is_dead_lettered_and_changes_nothing(
    stock: Stock, clock: FakeClock, redis: Redis
) -> None:
    stock.replica()
    await stock.run(count("d1", X=5), reserve(clock, "r1", X=2))
    await stock.run(ReleaseReservation(request_id="r1", reason="declined"))
    await stock.run(CommitReservation(request_id="r1"), CommitReservation(request_id="nope"))
    reasons = [fields[b"reason"].decode() for _, fields in await redis.xrange(DEAD_LETTER)]
    assert len(reasons) == 2
    assert "cannot commit r1: it is released" in reasons[0]
    assert "no reservation nope" in reasons[1]
    assert await stock.level("d1", "X") == (5, 0)
    assert await stock.events(ReservationCommitted) == []


async def test_a_count_below_reserved_releases_the_newest_reservations(
    stock: Stock, clock: FakeClock
) -> None:
    stock.replica()
    await stock.run(count("d1", X=5, Y=2))
    for rid, lines in (("old", {"X": 2}), ("mid", {"X": 2, "Y": 1}), ("new", {"X": 1})):
        await stock.run(reserve(clock, rid, **lines))
        clock.advance(seconds=1)
    await stock.run(count("d1", X=3))
    released = await stock.events(ReservationReleased)
    assert [(e.request_id, e.reason) for e in released] == [
        ("new", "stock_reported_short"),
        ("mid", "stock_reported_short"),
    ]
    assert await stock.level("d1", "X") == (3, 2)
    assert await stock.level("d1", "Y") == (2, 0)
    assert (await stock.reservation("old")).state == "held"
    assert await stock.expire(minutes=10) == 1  # only the survivor still had a timer
    await stock.assert_view_matches()


async def test_an_out_of_stock_decline_zeroes_the_skus(stock: Stock, clock: FakeClock) -> None:
    stock.replica()
    await stock.run(count("d1", X=4, Y=4), reserve(clock, "r1", X=1))
    await stock.run(count("d1", source="decline", X=0))
    assert await stock.level("d1", "X") == (0, 0)
    assert await stock.level("d1", "Y") == (4, 0)
    assert [e.request_id for e in await stock.events(ReservationReleased)] == ["r1"]
    await stock.assert_view_matches()


async def test_restock_adds_returned_goods_once(stock: Stock, clock: FakeClock) -> None:
    stock.replica()
    await stock.run(count("d1", X=1))
    back = Restock(
        request_id="ret-1",
        order_id="o1",
        dealer_id="d1",
        lines=[StockLine(sku="X", qty=2), StockLine(sku="NEW", qty=1)],
    )
    await stock.run(back, back)
    assert await stock.level("d1", "X") == (3, 0)
    assert await stock.level("d1", "NEW") == (1, 0)
    await stock.assert_view_matches()


async def test_the_view_follows_every_step_and_a_rebuild_restores_it(
    stock: Stock, clock: FakeClock, db, redis: Redis
) -> None:
    stock.replica()
    await stock.run(count("d1", X=5, Y=2), count("d2", X=1))
    await stock.assert_view_matches()
    await stock.run(reserve(clock, "r1", X=2, Y=2), reserve(clock, "r2", dealer="d2", X=1))
    await stock.assert_view_matches()
    await stock.run(CommitReservation(request_id="r1"))
    await stock.assert_view_matches()
    await stock.run(ReleaseReservation(request_id="r2", reason="cancelled"))
    await stock.assert_view_matches()
    assert await availability(redis, ["d1", "d2", "d9"], ["X", "Y"]) == {
        "d1": {"X": 3, "Y": 0},
        "d2": {"X": 1, "Y": 0},
        "d9": {"X": 0, "Y": 0},
    }
    await redis.hset("baton:stock:avail:{d1}", "X", 99)  # a stale entry
    await redis.hset("baton:stock:avail:{gone}", "X", 7)  # a dealer the tables do not know
    await redis.delete("baton:stock:avail:{d2}")  # a lost one
    assert await rebuild(db, redis) == 3
    await stock.assert_view_matches()
    assert not await redis.exists("baton:stock:avail:{gone}")


async def test_two_replicas_applying_a_burst_of_cancels_across_dealers_never_deadlock(
    stock: Stock, clock: FakeClock, db, redis: Redis
) -> None:
    dealers = [f"d{n}" for n in range(6)]
    for dealer in dealers:
        await count_now(db, redis, clock, dealer, X=20, Y=20)
    requests = [f"r{n:02}" for n in range(60)]
    for n, rid in enumerate(requests):
        await reserve_now(db, redis, clock, rid, dealers[n % len(dealers)], X=1, Y=1)
    one, two = stock.replica(batch=16), stock.replica(batch=16)
    # Each batch spans every dealer, in an order that differs from batch to batch.
    shuffled = sorted(requests, key=lambda rid: (int(rid[1:]) * 7) % 60)
    await stock.run(*(ReleaseReservation(request_id=rid, reason="cancelled") for rid in shuffled))
    assert (one.stats.deadlocks, two.stats.deadlocks) == (0, 0)
    assert one.stats.applied + two.stats.applied == 60
    released = await stock.events(ReservationReleased)
    assert sorted(e.request_id for e in released) == requests
    for dealer in dealers:
        assert await stock.level(dealer, "X") == (20, 0)
        assert await stock.level(dealer, "Y") == (20, 0)
    await stock.assert_view_matches()


async def test_a_run_of_reservations_in_one_batch_is_decided_as_one_after_the_other(
    db: Database, redis: Redis, clock: FakeClock
) -> None:
    """``reserve_stock_batch``: the first requests get the units, the rest are refused; a
    request twice in the run is one reservation with the same answer; each held one has its
    timer; the view follows after the commit."""
    async with unit_of_work(db, clock) as uow:
        await apply_report(uow, redis, "d1", {"X": 3, "Y": 1}, source="import")
        await apply_report(uow, redis, "d2", {"X": 1}, source="import")
    run = [
        reserve(clock, "a", X=2), reserve(clock, "b", dealer="d2", X=1),
        reserve(clock, "c", X=2), reserve(clock, "a", X=2), reserve(clock, "d", X=1, Y=1),
        reserve(clock, "e", Y=1),
    ]  # fmt: skip
    envelopes = [Envelope.wrap(m, clock) for m in run]
    async with unit_of_work(db, clock) as uow:
        contexts = [(m, Context(e, uow, clock, 1)) for m, e in zip(run, envelopes, strict=True)]
        await reserve_stock_batch(contexts, redis)
    async with db.read() as session:
        outbox = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
        held = (await session.exec(select(StockReservation))).all()
        timers = (await session.exec(select(TimerRow))).all()
        rows = (await session.exec(select(StockLevel))).all()
    levels = {(r.dealer_id, r.sku): (r.on_hand, r.reserved) for r in rows}
    answers = [Envelope.decode(row.envelope.encode()) for row in outbox]
    assert [(a.name.split(".")[1], a.payload["request_id"]) for a in answers] == [
        ("StockReserved", "a"), ("StockReserved", "b"), ("StockUnavailable", "c"),
        ("StockReserved", "a"), ("StockReserved", "d"), ("StockUnavailable", "e"),
    ]  # fmt: skip
    # Each answer is caused by its own request.
    assert [a.causation_id for a in answers] == [e.id for e in envelopes]
    assert levels == {("d1", "X"): (3, 3), ("d1", "Y"): (1, 1), ("d2", "X"): (1, 1)}
    assert sorted((r.request_id, r.state) for r in held) == [
        ("a", "held"),
        ("b", "held"),
        ("c", "refused"),
        ("d", "held"),
        ("e", "refused"),
    ]
    assert sorted(t.key for t in timers) == [timer_key(r) for r in ("a", "b", "d")]
    assert (await availability(redis, ["d1", "d2"], ["X", "Y"])) == {
        "d1": {"X": 0, "Y": 0},
        "d2": {"X": 0, "Y": 0},
    }
