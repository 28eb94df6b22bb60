"""Telegram's flood limits as the sender paces itself: token buckets and sliding windows.

The buckets run on the event loop's monotonic clock, not the injected business clock:
they pace real HTTP requests, so they need real elapsed time.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class SenderLimits:
    """How fast the sender may send: per bot, per private chat, per group.

    The bursts are deliberately smaller than Telegram's. A request reaches the server a
    little after the sender takes its token, and uneven delays can bunch requests up; the
    tokens Telegram allows beyond ours absorb that (bot-wide: (30 - 10) / 30 s ≈ 0.67 s of
    jitter; per chat: (3 - 2) / 1 s = 1 s). Groups use a sliding window a little longer
    than Telegram's minute, for the same reason.
    """

    bot_per_second: float = 30.0
    bot_burst: int = 10
    private_per_second: float = 1.0
    private_burst: int = 2
    group_per_window: int = 20
    group_window_s: float = 62.0

    @classmethod
    def telegram(cls) -> SenderLimits:
        """Telegram's documented limits with the safety margins above."""
        return cls()


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` a second."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(max(1, burst))
        self.tokens = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 if one is)."""
        self._refill(now)
        if self.tokens >= 1.0 - 1e-9:
            return 0.0
        return math.inf if self.rate <= 0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Spend a token."""
        self._refill(now)
        self.tokens -= 1.0

    def idle(self, now: float) -> bool:
        """Whether the bucket is full again, so forgetting it loses nothing."""
        self._refill(now)
        return self.tokens >= self.capacity - 1e-9


class SlidingWindow:
    """At most ``limit`` sends in any ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.stamps: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self.stamps and self.stamps[0] + self.window <= now:
            self.stamps.popleft()

    def wait(self, now: float) -> float:
        """Seconds until the window has room (0 if it has)."""
        self._expire(now)
        if len(self.stamps) < self.limit:
            return 0.0
        return self.stamps[len(self.stamps) - self.limit] + self.window - now

    def take(self, now: float) -> None:
        """Record a send."""
        self._expire(now)
        self.stamps.append(now)

    def idle(self, now: float) -> bool:
        """Whether the window is empty."""
        self._expire(now)
        return not self.stamps


Bucket = TokenBucket | SlidingWindow


def chat_bucket(limits: SenderLimits, chat_id: int, now: float) -> Bucket:
    """The bucket for one chat: negative ids are groups (20 a minute), others private."""
    if chat_id < 0:
        return SlidingWindow(limits.group_per_window, limits.group_window_s)
    return TokenBucket(limits.private_per_second, limits.private_burst, now)
