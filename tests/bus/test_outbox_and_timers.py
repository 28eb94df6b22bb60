"""The transactional outbox and durable timers, against real Redis and SQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlmodel import func, select

from shared.bus.relay import OutboxRelay, TimerRunner
from shared.bus.streams import Publisher, stream_key
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.models import OutboxRow, TimerRow
from shared.db.uow import unit_of_work
from shared.messages import Envelope
from tests.bus.support import Deposit, Deposited, TestEntry, apply_deposit, eventually

OUT = stream_key("test-out")


async def count(db: Database, model: type) -> int:
    async with db.read() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_emitted_messages_are_published_only_after_commit(
    db: Database, clock: FakeClock, publisher: Publisher, redis: Redis
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, clock) as uow:
            uow.emit(Deposited(account="a", amount=1))
            raise RuntimeError("handler failed")
    async with unit_of_work(db, clock) as uow:
        sent = uow.emit(Deposited(account="a", amount=2))
    assert await count(db, OutboxRow) == 1
    assert await OutboxRelay(db, publisher).publish_pending() == 1
    stream = await redis.xrange(OUT)
    assert [Envelope.decode(f[b"e"]).id for _, f in stream] == [sent.id]
    assert await count(db, OutboxRow) == 0


async def test_outbox_survives_a_crash_between_commit_and_publish(
    db: Database, clock: FakeClock, publisher: Publisher, redis: Redis
) -> None:
    async with unit_of_work(db, clock) as uow:
        for i in range(3):
            uow.emit(Deposited(account="a", amount=i))
    # The process died here: nothing was published. A new relay finds the rows.
    assert await redis.xlen(OUT) == 0
    assert await OutboxRelay(db, publisher).publish_pending() == 3
    amounts = [Envelope.decode(f[b"e"]).payload["amount"] for _, f in await redis.xrange(OUT)]
    assert amounts == [0, 1, 2]


class DiesAfterPublishing(Publisher):
    """Publishes, then loses its process before the outbox rows are deleted."""

    async def publish_raw(self, items):
        await super().publish_raw(items)
        raise ConnectionError("process killed after XADD")


async def test_a_crash_after_publish_republishes_and_consumers_apply_once(
    db: Database, clock: FakeClock, publisher: Publisher, redis: Redis, make_consumer, running
) -> None:
    async with unit_of_work(db, clock) as uow:
        uow.emit(Deposit(account="a", amount=9))
    with pytest.raises(ConnectionError):
        await OutboxRelay(db, DiesAfterPublishing(redis, 1000)).publish_pending()
    assert await count(db, OutboxRow) == 1
    assert await OutboxRelay(db, publisher).publish_pending() == 1
    assert await redis.xlen(stream_key("test")) == 2  # published twice
    consumer = make_consumer()
    running.start(consumer)
    await eventually(lambda: consumer.stats.applied + consumer.stats.duplicates == 2)
    assert await count(db, TestEntry) == 1


async def test_the_relay_loop_wakes_on_commit(
    db: Database, clock: FakeClock, publisher: Publisher, redis: Redis
) -> None:
    relay = OutboxRelay(db, publisher)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop, poll_ms=60_000))
    async with unit_of_work(db, clock) as uow:
        uow.emit(Deposited(account="a", amount=1))
    await eventually(lambda: relay.published == 1, timeout=5)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_handler_emits_through_the_outbox(
    db: Database, publisher: Publisher, redis: Redis, make_consumer, running, clock: FakeClock
) -> None:
    consumer = make_consumer({Deposit: apply_deposit})
    running.start(consumer)
    source = Envelope.wrap(Deposit(account="a", amount=4), clock)
    await publisher.publish("test", source)
    await eventually(lambda: consumer.stats.applied == 1)
    await OutboxRelay(db, publisher).publish_pending()
    [(_, fields)] = await redis.xrange(OUT)
    out = Envelope.decode(fields[b"e"])
    assert out.causation_id == source.id
    assert out.correlation_id == source.correlation_id


async def test_a_timer_fires_once_when_due(db: Database, clock: FakeClock) -> None:
    async with unit_of_work(db, clock) as uow:
        uow.set_timer(
            "offer:1", clock.now() + timedelta(minutes=10), Deposit(account="a", amount=1)
        )
    runner = TimerRunner(db, clock)
    assert await runner.fire_due() == 0
    clock.advance(minutes=10)
    assert await runner.fire_due() == 1
    assert await runner.fire_due() == 0
    assert await count(db, OutboxRow) == 1
    assert await count(db, TimerRow) == 0


async def test_a_timer_survives_a_restart_and_fires_once_with_two_replicas(
    database_url: str, db: Database, clock: FakeClock
) -> None:
    async with unit_of_work(db, clock) as uow:
        for i in range(20):
            uow.set_timer(
                f"t:{i}", clock.now() + timedelta(seconds=i), Deposit(account="a", amount=i)
            )
    await db.dispose()  # the process that set them is gone
    clock.advance(minutes=1)
    first, second = Database(database_url), Database(database_url)
    try:
        fired = await asyncio.gather(
            *(
                TimerRunner(replica, clock, batch=5).fire_due()
                for replica in (first, second)
                for _ in range(4)
            )
        )
    finally:
        await first.dispose()
        await second.dispose()
    assert sum(fired) == 20
    assert await count(db, OutboxRow) == 20
    async with db.read() as session:
        ids = (await session.exec(select(OutboxRow.message_id))).all()
    assert len(set(ids)) == 20


async def test_a_timer_can_be_moved_or_cancelled(db: Database, clock: FakeClock) -> None:
    due = clock.now() + timedelta(minutes=1)
    async with unit_of_work(db, clock) as uow:
        uow.set_timer("k", due, Deposit(account="a", amount=1))
        uow.set_timer("k", due + timedelta(minutes=5), Deposit(account="a", amount=2))
        uow.set_timer("gone", due, Deposit(account="a", amount=3))
    async with unit_of_work(db, clock) as uow:
        assert await uow.cancel_timer("gone")
        assert not await uow.cancel_timer("gone")
        uow.set_timer("set-and-dropped", due, Deposit(account="a", amount=4))
        assert await uow.cancel_timer("set-and-dropped")  # set in this transaction
    runner = TimerRunner(db, clock)
    clock.advance(minutes=2)
    assert await runner.fire_due() == 0
    clock.advance(minutes=5)
    assert await runner.fire_due() == 1
    async with db.read() as session:
        row = (await session.exec(select(OutboxRow))).one()
    assert Envelope.decode(row.envelope).payload["amount"] == 2


async def test_messages_emitted_in_one_batch_name_their_own_causes(
    db: Database, publisher: Publisher, redis: Redis, make_consumer, running, clock: FakeClock
) -> None:
    consumer = make_consumer({Deposit: apply_deposit})
    await consumer.ensure_groups()
    sources = [Envelope.wrap(Deposit(account="a", amount=i), clock) for i in range(4)]
    for source in sources:
        await publisher.publish("test", source)
    running.start(consumer)
    await eventually(lambda: consumer.stats.applied == 4)
    await OutboxRelay(db, publisher).publish_pending()
    out = [Envelope.decode(fields[b"e"]) for _, fields in await redis.xrange(OUT)]
    assert [(e.causation_id, e.payload["amount"]) for e in out] == [
        (s.id, s.payload["amount"]) for s in sources
    ]
