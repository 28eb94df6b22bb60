"""Telegram-like flood limits: token buckets driven by an injectable clock."""

from __future__ import annotations

import datetime as dtm
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], "float | dtm.datetime"]


def clock_seconds(clock: Clock) -> float:
    """Read a clock that returns epoch/monotonic seconds or an aware datetime, as seconds."""
    value = clock()
    if isinstance(value, dtm.datetime):
        return value.timestamp()
    return float(value)


class ManualClock:
    """A clock for tests: time only moves when `advance` is called."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds`."""
        self.now += seconds


@dataclass(frozen=True)
class Limits:
    """Flood limits; defaults follow Telegram's documented numbers."""

    enabled: bool = True
    bot_per_second: float = 30.0
    bot_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20

    @classmethod
    def off(cls) -> Limits:
        """Limits that never refuse anything."""
        return cls(enabled=False)


class TokenBucket:
    """A bucket of `burst` tokens refilled at `rate` tokens per second."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(max(1, burst))
        self.tokens = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self._refill(now)
        if self.tokens >= 1.0 - 1e-9:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend one token (may go negative if called without checking)."""
        self._refill(now)
        self.tokens -= 1.0


class RateLimiter:
    """Per-bot and per-chat buckets; answers 'retry after N seconds' or None."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self._limits = limits
        self.clock = clock
        self._buckets: dict[tuple[object, ...], TokenBucket] = {}

    @property
    def limits(self) -> Limits:
        """The limits in force."""
        return self._limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        self._limits = value
        self._buckets.clear()

    def reset(self) -> None:
        """Forget all spent tokens."""
        self._buckets.clear()

    def _bucket(self, key: tuple[object, ...], rate: float, burst: int, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate, burst, now)
        return bucket

    def _relevant(
        self, bot_id: int, chat_id: int, group: bool, bot_wide: bool, now: float
    ) -> list[TokenBucket]:
        lim = self._limits
        buckets = []
        if bot_wide:
            buckets.append(self._bucket(("bot", bot_id), lim.bot_per_second, lim.bot_burst, now))
        if group:
            rate, burst = lim.group_per_minute / 60.0, lim.group_burst
        else:
            rate, burst = lim.private_per_second, lim.private_burst
        buckets.append(self._bucket(("chat", bot_id, chat_id), rate, burst, now))
        return buckets

    def retry_after(
        self, bot_id: int, chat_id: int, *, group: bool, bot_wide: bool = True
    ) -> int | None:
        """Whole seconds (>= 1) to wait before this send is allowed, or None if allowed now."""
        if not self._limits.enabled:
            return None
        now = clock_seconds(self.clock)
        wait = max(b.wait_time(now) for b in self._relevant(bot_id, chat_id, group, bot_wide, now))
        if wait <= 0:
            return None
        if math.isinf(wait):
            return 3600
        return max(1, math.ceil(wait - 1e-9))

    def consume(self, bot_id: int, chat_id: int, *, group: bool, bot_wide: bool = True) -> None:
        """Record one send."""
        if not self._limits.enabled:
            return
        now = clock_seconds(self.clock)
        for bucket in self._relevant(bot_id, chat_id, group, bot_wide, now):
            bucket.take(now)
