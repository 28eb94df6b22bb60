"""Two replicas on one outbox: only the leader sends; the other takes over when it stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from redis.asyncio import Redis

from bots.emulator import EmulatorServer
from bots.sender.sender import ChatSender
from shared.chat.outbox import submit_many
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from tests.bus.support import eventually
from tests.sender.support import FAST, QUICK, delivered, ptb_bot, states, text_message


async def test_only_the_leader_sends_and_a_follower_takes_over(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    users: Callable[[int], list[int]],
) -> None:
    chats = users(10)
    first = [text_message(f"a{i}:{c}", c) for i in range(10) for c in chats]
    second = [text_message(f"b{i}:{c}", c) for i in range(5) for c in chats]
    async with ptb_bot(emulator) as bot_a, ptb_bot(emulator) as bot_b:
        replicas = [
            ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK) for bot in (bot_a, bot_b)
        ]
        stops = [asyncio.Event(), asyncio.Event()]
        tasks = [asyncio.create_task(r.run(s)) for r, s in zip(replicas, stops, strict=True)]
        try:
            await eventually(lambda: any(r.stats().leader for r in replicas))
            leader = next(i for i, r in enumerate(replicas) if r.stats().leader)
            async with unit_of_work(db, clock) as uow:
                await submit_many(uow, first, wake=replicas[1 - leader].wake)  # the follower's

            async def sent(n: int) -> bool:
                return (await states(db))["sent"] == n

            await eventually(lambda: sent(len(first)))
            # A row is marked sent before the sender counts it: wait for the count too.
            await eventually(lambda: replicas[leader].stats().sent == len(first))
            assert [r.stats().sent for r in replicas][1 - leader] == 0
            assert not replicas[1 - leader].stats().leader

            stops[leader].set()  # a clean stop releases the lock at once
            await tasks[leader]
            async with unit_of_work(db, clock) as uow:
                await submit_many(uow, second)
            await eventually(lambda: sent(len(first) + len(second)))
            await eventually(lambda: replicas[1 - leader].stats().sent == len(second))
            assert replicas[1 - leader].stats().leader
        finally:
            for stop in stops:
                stop.set()
            await asyncio.gather(*tasks)
    counts = delivered(emulator, chats)
    assert set(counts.values()) == {1} and len(counts) == len(first) + len(second)
