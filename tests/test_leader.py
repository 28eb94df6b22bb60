"""Leader election: calendar jobs run on one replica, and another takes over when it dies."""

from __future__ import annotations

import asyncio

from apscheduler.triggers.interval import IntervalTrigger
from redis.asyncio import Redis

from shared.leader import LeaderLock
from shared.scheduling import ElectedScheduler
from tests.bus.support import eventually


async def test_one_holder_at_a_time_and_a_dead_holder_is_replaced(redis: Redis) -> None:
    first, second = LeaderLock(redis, "jobs", 10_000), LeaderLock(redis, "jobs", 10_000)
    assert await first.try_acquire()
    assert not await second.try_acquire()
    assert await first.try_acquire()  # renewing
    # The first holder dies without releasing: its key simply runs out.
    await redis.pexpire(first.key, 1)

    async def expired() -> bool:
        return await redis.exists(first.key) == 0

    await eventually(expired)
    assert await second.try_acquire()
    assert not await first.try_acquire()  # it cannot renew a lock it lost


async def test_release_hands_over_and_never_drops_anothers_lock(redis: Redis) -> None:
    first, second = LeaderLock(redis, "jobs"), LeaderLock(redis, "jobs")
    assert await first.try_acquire()
    await first.release()
    assert await second.try_acquire()
    first.held = True  # a stale belief must not delete the new holder's key
    await first.release()
    assert await redis.get(second.key) == second.token.encode()


async def test_jobs_run_only_on_the_leader_and_move_when_it_stops(redis: Redis) -> None:
    runs = {"a": 0, "b": 0}
    replicas = {name: ElectedScheduler(redis, ttl_ms=300) for name in runs}
    for name, replica in replicas.items():

        def job(name: str = name) -> None:
            runs[name] += 1

        replica.add_job(job, IntervalTrigger(seconds=0.05))
    stops = {name: asyncio.Event() for name in runs}
    tasks = {name: asyncio.create_task(replicas[name].run(stops[name])) for name in runs}
    try:
        await eventually(lambda: any(r.leading for r in replicas.values()))
        leader = next(name for name, r in replicas.items() if r.leading)
        follower = "b" if leader == "a" else "a"
        await eventually(lambda: runs[leader] >= 2)
        assert runs[follower] == 0
        assert not replicas[follower].leading

        stops[leader].set()
        await tasks[leader]
        await eventually(lambda: replicas[follower].leading, timeout=5)
        await eventually(lambda: runs[follower] >= 2)
    finally:
        for stop in stops.values():
            stop.set()
        await asyncio.gather(*tasks.values())
