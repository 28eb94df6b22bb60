"""Telegram-like flood limits: token buckets driven by an injectable clock."""

from __future__ import annotations

import datetime as dtm
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class NowClock(Protocol):
    """A clock object with now() -> aware datetime (like shared.clock.Clock)."""

    def now(self) -> dtm.datetime:
        """The current time, timezone-aware."""
        ...


Clock = Callable[[], "float | dtm.datetime"] | NowClock


def clock_seconds(clock: Clock) -> float:
    """Read a clock (epoch seconds, an aware datetime, or an object with now()) as seconds."""
    value = clock.now() if isinstance(clock, NowClock) else clock()
    if isinstance(value, dtm.datetime):
        return value.timestamp()
    return float(value)


class ManualClock:
    """A clock for tests: epoch seconds that only move when `advance` is called."""

    def __init__(self, start: float | None = None) -> None:
        self.value = time.time() if start is None else start

    def __call__(self) -> float:
        """The time now, in epoch seconds."""
        return self.value

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds`."""
        self.value += seconds


@dataclass(frozen=True)
class Limits:
    """Flood limits; defaults follow Telegram's documented numbers."""

    enabled: bool = True
    bot_per_second: float = 30.0
    bot_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20

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
        if self.tokens >= 1.0 - 1e-4:  # float time at epoch scale is coarse
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend one token (may go negative if called without checking)."""
        self._refill(now)
        self.tokens -= 1.0


class SlidingWindow:
    """At most `limit` events in any `window` seconds (Telegram's per-group rule)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.stamps: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self.stamps and self.stamps[0] + self.window <= now + 1e-6:
            self.stamps.popleft()

    def wait_time(self, now: float) -> float:
        """Seconds until the oldest event in the window leaves it (0 if there is room now)."""
        self._expire(now)
        if len(self.stamps) < self.limit:
            return 0.0
        return self.stamps[len(self.stamps) - self.limit] + self.window - now

    def take(self, now: float) -> None:
        """Record one event."""
        self._expire(now)
        self.stamps.append(now)


Bucket = TokenBucket | SlidingWindow


class RateLimiter:
    """Per-bot and per-chat buckets; answers 'retry after N seconds' or None."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self._limits = limits
        self.clock = clock
        self._buckets: dict[tuple[object, ...], Bucket] = {}

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

    def _bucket(self, key: tuple[object, ...], make: Callable[[], Bucket]) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = make()
        return bucket

    def _relevant(
        self, bot_id: int, chat_id: int, group: bool, bot_wide: bool, now: float
    ) -> list[Bucket]:
        lim = self._limits
        buckets = []
        if bot_wide:
            buckets.append(
                self._bucket(
                    ("bot", bot_id), lambda: TokenBucket(lim.bot_per_second, lim.bot_burst, now)
                )
            )
        if group:
            chat = self._bucket(
                ("group", bot_id, chat_id), lambda: SlidingWindow(lim.group_per_minute, 60.0)
            )
        else:
            chat = self._bucket(
                ("chat", bot_id, chat_id),
                lambda: TokenBucket(lim.private_per_second, lim.private_burst, now),
            )
        buckets.append(chat)
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
