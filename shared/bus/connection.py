"""Redis clients: one for commands, and one of its own for every blocking reader."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

COMMAND_TIMEOUT_S = 5.0


def connect(url: str, *, blocking: bool = False) -> Redis:
    """A client for ``url``; a ``blocking`` one has no socket timeout, for XREADGROUP BLOCK.

    redis-py's default socket timeout would cut a ``BLOCK`` longer than it, so a blocking
    reader gets its own client, used for nothing else.
    """
    return Redis.from_url(
        url,
        socket_timeout=None if blocking else COMMAND_TIMEOUT_S,
        socket_connect_timeout=COMMAND_TIMEOUT_S,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        decode_responses=False,
    )
