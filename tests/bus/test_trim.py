"""Trimming streams by age keeps every entry a consumer group still needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from shared.bus.streams import DEAD_LETTER, trim_before

STREAM = "baton:trim-test"
LATER = datetime.now(UTC) + timedelta(days=1)  # every entry below is older than this


async def _ids(redis: Redis, key: str) -> list[bytes]:
    return [entry_id for entry_id, _ in await redis.xrange(key)]


async def test_only_entries_every_group_is_done_with_go(redis: Redis) -> None:
    added = [await redis.xadd(STREAM, {"e": str(n)}) for n in range(6)]
    await redis.xgroup_create(STREAM, "fast", id="0")
    await redis.xgroup_create(STREAM, "slow", id="0")
    await redis.xreadgroup("fast", "c", {STREAM: ">"})  # fast reads all six, acks them
    await redis.xack(STREAM, "fast", *added)
    await redis.xreadgroup("slow", "c", {STREAM: ">"}, count=4)  # slow reads four ...
    await redis.xack(STREAM, "slow", added[0], added[1])  # ... and acks the first two
    await redis.xadd(DEAD_LETTER, {"data": "x"})  # dead letters have no group: age alone
    await redis.set("baton:not-a-stream", "1")

    assert await trim_before(redis, LATER) == 3
    assert await _ids(redis, STREAM) == added[2:]  # pending with slow, then never read
    assert await redis.xlen(DEAD_LETTER) == 0
    assert await redis.get("baton:not-a-stream") == b"1"

    await redis.xack(STREAM, "slow", added[2], added[3])
    assert await trim_before(redis, datetime.now(UTC) - timedelta(days=1)) == 0  # none so old
    assert await trim_before(redis, LATER) == 2
    assert await _ids(redis, STREAM) == added[4:]  # slow has not read these yet
