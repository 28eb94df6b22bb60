"""Consumer contract against a real Redis and a real database."""

from __future__ import annotations

import asyncio
import json

from redis.asyncio import Redis

from shared.bus.apply import Work, apply_one
from shared.bus.streams import DEAD_LETTER, FIELD, Publisher, stream_key
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages import Envelope
from tests.bus.support import (
    Deposit,
    Poison,
    always_fail,
    apply_deposit,
    entries,
    entry_count,
    eventually,
)

STREAM = stream_key("test")


async def no_blocked_reads(redis: Redis) -> bool:
    clients = await redis.client_list()
    return not any(c["cmd"] == "xreadgroup" and "b" in c["flags"] for c in clients)


async def pending(redis: Redis, group: str = "g") -> int:
    info = await redis.xpending(STREAM, group)
    return int(info["pending"])


async def test_every_message_is_applied_once_and_acked(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    consumer = make_consumer()
    running.start(consumer)
    for i in range(40):
        await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=i), clock))
    await eventually(lambda: consumer.stats.applied == 40)
    assert [e.amount for e in await entries(db)] == list(range(40))
    assert await pending(redis) == 0


async def test_a_duplicate_delivery_is_a_no_op(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database
) -> None:
    consumer = make_consumer()
    running.start(consumer)
    envelope = Envelope.wrap(Deposit(account="a", amount=5), clock)
    await publisher.publish("test", envelope)
    await publisher.publish("test", envelope)
    await eventually(lambda: consumer.stats.applied + consumer.stats.duplicates == 2)
    assert consumer.stats.duplicates == 1
    assert await entry_count(db) == 1


async def test_messages_already_in_the_stream_are_read_by_a_new_group(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database
) -> None:
    await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=1), clock))
    consumer = make_consumer()
    running.start(consumer)
    await eventually(lambda: consumer.stats.applied == 1)


async def test_poison_message_is_dead_lettered_after_n_tries_while_others_flow(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    consumer = make_consumer({Deposit: apply_deposit, Poison: always_fail}, max_deliveries=3)
    running.start(consumer)
    await publisher.publish("test", Envelope.wrap(Poison(note="bad"), clock))
    for i in range(10):
        await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=i), clock))
    await eventually(lambda: consumer.stats.dead_lettered == 1)
    assert await entry_count(db) == 10
    dead = await redis.xrange(DEAD_LETTER)
    assert len(dead) == 1
    fields = dead[0][1]
    assert fields[b"group"] == b"g"
    assert fields[b"deliveries"] == b"3"
    assert b"poison: bad" in fields[b"reason"]
    assert json.loads(fields[b"data"])["name"] == "test.Poison"
    assert consumer.stats.failures == 3
    assert await pending(redis) == 0


async def test_malformed_entries_go_to_dead_letter_with_a_reason(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    consumer = make_consumer()
    running.start(consumer)
    good = Envelope.wrap(Deposit(account="a", amount=1), clock)
    unknown = good.model_copy(update={"id": "u1", "name": "test.Nope"})
    bad_payload = good.model_copy(update={"id": "b1", "payload": {"account": "a", "amount": -3}})
    for fields in (
        {FIELD: b"{not json"},
        {FIELD: b"\xff\xfe"},
        {FIELD: b"[1, 2]"},
        {"other": b"x"},
        {FIELD: json.dumps({"id": "x"}).encode()},
        {FIELD: unknown.encode().encode()},
        {FIELD: bad_payload.encode().encode()},
    ):
        await redis.xadd(STREAM, fields)
    await publisher.publish("test", good)
    await eventually(lambda: consumer.stats.applied == 1)
    reasons = [f[b"reason"].decode() for _, f in await redis.xrange(DEAD_LETTER)]
    assert len(reasons) == 7
    assert reasons[0].startswith("not JSON")
    assert reasons[2] == "envelope is not a JSON object"
    assert reasons[3] == "stream entry has no envelope field"
    assert reasons[4].startswith("bad envelope")
    assert reasons[5] == "unknown message test.Nope v1"
    assert "amount" in reasons[6]
    assert await entry_count(db) == 1
    assert await pending(redis) == 0


async def test_a_message_left_pending_by_a_dead_replica_is_reclaimed(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    consumer = make_consumer(claim_idle_ms=100)
    await consumer.ensure_groups()
    await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=7), clock))
    # A replica reads it and dies before acking.
    taken = await redis.xreadgroup("g", "dead-replica", {STREAM: ">"}, count=1)
    assert taken and len(taken[0][1]) == 1
    running.start(consumer)
    await eventually(lambda: consumer.stats.reclaimed == 1)
    await eventually(lambda: consumer.stats.applied == 1)
    assert await entry_count(db) == 1
    assert await pending(redis) == 0


async def test_a_replica_crashing_after_commit_before_ack_applies_nothing_twice(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    first = make_consumer(claim_idle_ms=100)
    await first.ensure_groups()
    envelope = Envelope.wrap(Deposit(account="a", amount=3), clock)
    await publisher.publish("test", envelope)
    taken = await redis.xreadgroup("g", "crashing", {STREAM: ">"}, count=1)
    # The crashing replica committed its unit of work but never acked.
    message = Deposit(account="a", amount=3)
    work = Work(STREAM.encode(), b"0-0", b"", envelope, message, apply_deposit, 1)
    assert await apply_one(first.unit, work)
    assert taken
    running.start(first)
    await eventually(lambda: first.stats.duplicates == 1)
    assert await entry_count(db) == 1
    assert await pending(redis) == 0


async def test_two_replicas_share_a_group_and_apply_each_message_once(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database
) -> None:
    one, two = make_consumer(), make_consumer()
    running.start(one)
    running.start(two)
    for i in range(100):
        await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=i), clock))
    await eventually(lambda: one.stats.applied + two.stats.applied == 100)
    assert sorted(e.amount for e in await entries(db)) == list(range(100))


async def test_stop_finishes_the_message_in_hand(
    make_consumer, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(msg: Deposit, ctx) -> None:
        started.set()
        await release.wait()
        await apply_deposit(msg, ctx)

    consumer = make_consumer({Deposit: slow})
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=1), clock))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    release.set()
    await asyncio.wait_for(task, 10)
    assert await entry_count(db) == 1
    assert await pending(redis) == 0


async def test_stop_while_idle_returns_promptly(make_consumer) -> None:
    consumer = make_consumer(block_ms=60_000)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.sleep(0.05)  # let it enter its blocking read
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_a_batch_with_a_failing_message_still_applies_the_others(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    consumer = make_consumer({Deposit: apply_deposit, Poison: always_fail}, max_deliveries=2)
    await consumer.ensure_groups()
    # Published before the consumer runs, so they arrive in one read and one transaction.
    await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=1), clock))
    await publisher.publish("test", Envelope.wrap(Poison(note="x"), clock))
    await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=2), clock))
    running.start(consumer)
    await eventually(lambda: consumer.stats.dead_lettered == 1)
    assert sorted(e.amount for e in await entries(db)) == [1, 2]
    assert consumer.stats.applied == 2
    assert await pending(redis) == 0


async def test_the_same_message_twice_in_one_batch_is_applied_once(
    make_consumer, running, publisher: Publisher, clock: FakeClock, db: Database, redis: Redis
) -> None:
    consumer = make_consumer()
    await consumer.ensure_groups()
    envelope = Envelope.wrap(Deposit(account="a", amount=5), clock)
    for _ in range(3):
        await publisher.publish("test", envelope)
    running.start(consumer)
    await eventually(lambda: consumer.stats.applied + consumer.stats.duplicates == 3)
    assert consumer.stats.applied == 1
    assert await entry_count(db) == 1
    assert await pending(redis) == 0


async def test_names_of_stopped_replicas_are_forgotten_but_never_their_pending_entries(
    make_consumer, running, publisher: Publisher, clock: FakeClock, redis: Redis
) -> None:
    for amount in range(12):  # twelve restarts, each joining the group under a new name
        replica, stop = make_consumer(), asyncio.Event()
        task = asyncio.create_task(replica.run(stop))
        await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=amount), clock))
        await eventually(lambda: replica.stats.applied == 1)  # noqa: B023
        stop.set()
        await task
    # A stopped replica's XREADGROUP stays blocked in Redis until it sees the socket close,
    # and would take the next entry: wait for none to be left.
    await eventually(lambda: no_blocked_reads(redis))
    await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=99), clock))
    await redis.xreadgroup("g", "dead-replica", {STREAM: ">"}, count=1)  # left pending
    before = {c["name"] for c in await redis.xinfo_consumers(STREAM, "g")}
    assert b"dead-replica" in before and len(before) == 13  # each restart left its name

    survivor = make_consumer(claim_idle_ms=600_000, forget_idle_ms=0)
    running.start(survivor)

    async def only_the_dead_replica_is_left() -> bool:
        names = [c["name"] for c in await redis.xinfo_consumers(STREAM, "g")]
        return names == [b"dead-replica"]

    await eventually(only_the_dead_replica_is_left)
    assert await pending(redis) == 1  # its entry waits to be reclaimed, not dropped
