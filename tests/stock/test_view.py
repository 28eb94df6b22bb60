"""The availability view: newest version wins, many dealers in one read, any client decoding."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

from services.stock.view import Entry, availability, publish, reported_times

AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def test_a_late_update_never_overwrites_a_newer_one(redis: Redis) -> None:
    await publish(redis, "d1", [Entry("X", 3, 5, AT), Entry("Y", 1, 2, None)])
    await publish(redis, "d1", [Entry("X", 2, 9, None), Entry("Y", 2, 0, None)])
    assert await availability(redis, ["d1"], ["X", "Y"]) == {"d1": {"X": 5, "Y": 0}}
    assert await reported_times(redis, ["d1", "d2"], ["X", "Y"]) == {
        "d1": {"X": int(AT.timestamp())},
        "d2": {},
    }


async def test_empty_questions_get_empty_answers(redis: Redis) -> None:
    assert await availability(redis, [], ["X"]) == {}
    assert await availability(redis, ["d1"], []) == {"d1": {}}
    await publish(redis, "d1", [])


async def test_a_decoding_client_reads_the_same(redis: Redis, redis_url: str) -> None:
    await publish(redis, "d1", [Entry("X", 1, 4, AT)])
    text_client = Redis.from_url(redis_url, decode_responses=True)
    try:
        await publish(text_client, "d1", [Entry("Y", 1, 2, None)])
        assert await availability(text_client, ["d1"], ["X", "Y"]) == {"d1": {"X": 4, "Y": 2}}
    finally:
        await text_client.aclose()
