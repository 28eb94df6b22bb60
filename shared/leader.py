"""Leader election on Redis, so that calendar jobs run once however many replicas run.

A leader holds ``SET key token NX PX ttl`` and renews it with a compare-and-extend script;
if it dies, the key expires and another replica takes over within ``ttl``. Jobs run by
the leader must still be idempotent: a leader cut off from Redis may run one job late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class LeaderLock:
    """One holder at a time of ``baton:leader:<name>``."""

    def __init__(self, redis: Redis, name: str, ttl_ms: int = 15_000) -> None:
        self.redis = redis
        self.key = f"baton:leader:{name}"
        self.ttl_ms = ttl_ms
        self.token = uuid.uuid4().hex
        self.held = False

    async def try_acquire(self) -> bool:
        """Take the lock if it is free, or keep it if this instance holds it."""
        if self.held:
            self.held = bool(await self.redis.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))
        else:
            self.held = bool(await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))
        return self.held

    async def release(self) -> None:
        """Give the lock up at once, if held, so another replica need not wait for the ttl."""
        if self.held:
            await self.redis.eval(_RELEASE, 1, self.key, self.token)
            self.held = False

    async def run(
        self,
        stop: asyncio.Event,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
    ) -> None:
        """Campaign until ``stop``: call ``on_elected``/``on_deposed`` as leadership changes."""
        interval = self.ttl_ms / 3000
        try:
            while not stop.is_set():
                was = self.held
                try:
                    now = await self.try_acquire()
                except (RedisError, OSError) as exc:
                    log.warning("leader election for %s: %s", self.key, exc)
                    now = self.held = False
                if now and not was:
                    log.info("elected leader of %s", self.key)
                    on_elected()
                elif was and not now:
                    log.warning("no longer leader of %s", self.key)
                    on_deposed()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
        finally:
            if self.held:
                on_deposed()
                with contextlib.suppress(RedisError, OSError):
                    await self.release()
