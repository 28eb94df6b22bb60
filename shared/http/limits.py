"""Rate limits per API key and route class, kept in Redis so every API replica shares them.

Each (key, class) is a token bucket of ``count`` requests refilled evenly over ``period``
seconds, kept as one Redis key by the generic cell rate algorithm: the script stores the
time the bucket will be full again ("theoretical arrival time") and allows a request if
that stays within one period of now. One round trip a request; the key expires when the
bucket is full, so idle keys cost nothing. The time comes from the caller's clock, so a
test can move it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis

# The route classes and their defaults: what a real client never meets and a runaway
# script soon does. ``BATON_RATE_LIMITS`` changes any of them.
DEFAULTS = {
    "orders": "1000/s",  # POST /v1/orders
    "broadcasts": "10/min",  # POST /v1/broadcasts
    "pricing": "60/min",  # price floors and promotions
    "writes": "600/min",  # any other change
    "reads": "6000/min",  # any read
    "sign_in": "10/min",  # POST /console/sign-in, per client address (no key yet)
}
PERIODS = {"s": 1, "min": 60, "h": 3600}

_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local next_tat = tat + interval
if next_tat - now > period then
  return math.max(1, math.ceil(next_tat - now - period))
end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now))
return -1
"""


@dataclass(frozen=True)
class Rate:
    """``count`` requests a ``period`` of seconds."""

    count: int
    period: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"10/min"``, ``"1000/s"``, ``"500/h"``; ValueError says what is wrong."""
        count, _, unit = text.strip().partition("/")
        if not count.isdigit() or int(count) < 1 or unit not in PERIODS:
            raise ValueError(f"{text!r} is not a rate such as 10/min, 1000/s or 500/h")
        return cls(int(count), PERIODS[unit])


def parse_limits(text: str) -> dict[str, Rate]:
    """The defaults, with ``class=rate`` pairs (comma-separated) over them."""
    given: dict[str, str] = dict(DEFAULTS)
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, sep, rate = pair.partition("=")
        if not sep or name.strip() not in DEFAULTS:
            raise ValueError(f"{pair!r}: give class=rate, class one of {', '.join(DEFAULTS)}")
        given[name.strip()] = rate
    return {name: Rate.parse(rate) for name, rate in given.items()}


class Limiter:
    """Answers whether a key may make one more request of a class now."""

    def __init__(self, redis: Redis, limits: dict[str, Rate]) -> None:
        self.redis = redis
        self.limits = limits
        self._script = redis.register_script(_GCRA)

    async def wait_for(self, key_id: str, route_class: str, now_s: float) -> float:
        """0 if the request may go now (and it is counted), else seconds until it may."""
        rate = self.limits[route_class]
        interval_ms = rate.period * 1000 / rate.count
        waited = await self._script(
            keys=[f"baton:rate:{route_class}:{key_id}"],
            args=[math.floor(now_s * 1000), interval_ms, rate.period * 1000],
        )
        return 0.0 if float(waited) < 0 else float(waited) / 1000
