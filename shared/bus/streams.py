"""Stream names and publishing to Redis Streams."""

from __future__ import annotations

from collections.abc import Iterable

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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
