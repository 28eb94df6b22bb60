"""Stream names and publishing to Redis Streams."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from shared.messages import Envelope

PREFIX = "baton:"
DEAD_LETTER = f"{PREFIX}dead"
FIELD = "e"  # the one field of a stream entry: the envelope as JSON


def stream_key(stream: str) -> str:
    """The Redis key of a topic's stream."""
    return f"{PREFIX}{stream}"


class Publisher:
    """Appends envelopes to streams, trimming each to about ``maxlen`` entries."""

    def __init__(self, redis: Redis, maxlen: int) -> None:
        self.redis = redis
        self.maxlen = maxlen

    async def publish(self, stream: str, envelope: Envelope) -> str:
        """Append one envelope; returns its stream entry id."""
        entry_id = await self.redis.xadd(
            stream_key(stream), {FIELD: envelope.encode()}, maxlen=self.maxlen, approximate=True
        )
        return _text(entry_id)

    async def publish_raw(self, items: Iterable[tuple[str, str]]) -> list[str]:
        """Append already-encoded envelopes ``(stream, json)`` in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for stream, encoded in items:
            pipe.xadd(stream_key(stream), {FIELD: encoded}, maxlen=self.maxlen, approximate=True)
        return [_text(entry_id) for entry_id in await pipe.execute()]


async def trim_before(redis: Redis, before: datetime) -> int:
    """Delete from every Baton stream (the dead letters too) the entries added before
    ``before`` that no consumer group still needs; returns how many went.

    Streams carry what the work needs while it happens (an accepted order names its
    customer); once every group has read and acknowledged an entry, nothing reads it again
    but a group created later. An entry a group has not yet read, or read and not
    acknowledged, stays whatever its age. Entry ids are the Redis server's milliseconds.
    """
    cutoff = (int(before.timestamp() * 1000), 0)
    trimmed = 0
    async for key in redis.scan_iter(match=f"{PREFIX}*", _type="STREAM"):
        keep_from = min(cutoff, await _first_needed(redis, key))
        trimmed += int(await redis.xtrim(key, minid=_entry_id(keep_from), approximate=False))
    return trimmed


async def _first_needed(redis: Redis, key: bytes | str) -> tuple[int, int]:
    # The oldest entry some group still needs: its oldest pending, or the first it has not read.
    first = (2**63, 0)
    groups: list[dict[str, Any]] = await redis.xinfo_groups(key)
    for group in groups:
        ms, seq = _parse_id(group["last-delivered-id"])
        first = min(first, (ms, seq + 1))
        if group["pending"]:
            summary: dict[str, Any] = await redis.xpending(key, group["name"])
            first = min(first, _parse_id(summary["min"]))
    return first


def _parse_id(entry_id: bytes | str) -> tuple[int, int]:
    ms, _, seq = _text(entry_id).partition("-")
    return int(ms), int(seq or 0)


def _entry_id(parts: tuple[int, int]) -> str:
    return f"{parts[0]}-{parts[1]}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
