"""The sender's counters, for tests and /metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields

COUNTERS = (
    "sent", "retried", "rate_limited", "bot_wide_holds", "failed", "blocked", "chats_blocked",
    "resumed",
)  # fmt: skip


@dataclass
class SenderStats:
    """What one sender did since it started (counters) and holds now (gauges)."""

    sent: int = 0  # messages Telegram took
    retried: int = 0  # resends after a 5xx, timeout or network error
    rate_limited: int = 0  # 429 answers seen
    bot_wide_holds: int = 0  # of those, taken to mean the whole bot must pause
    failed: int = 0  # given up on (after N attempts, a 400, or their original failed)
    blocked: int = 0  # not sent because their chat blocked the bot
    chats_blocked: int = 0  # chats newly found blocked (one HQ alert each)
    resumed: int = 0  # found 'sending' at election: resent, so perhaps delivered twice
    in_flight: int = 0
    leader: bool = False
    queued: dict[int, int] = field(default_factory=dict)  # unsent messages per lane

    def copy(self) -> SenderStats:
        """A snapshot."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return SenderStats(**{**values, "queued": dict(self.queued)})


def gauges(read: Callable[[], SenderStats]) -> dict[str, Callable[[], float]]:
    """Metric names and readers, for ``shared.metrics.Metrics.gauges``."""
    found = {f"baton_chat_{name}_total": _counter(read, name) for name in COUNTERS}
    found["baton_chat_in_flight"] = _counter(read, "in_flight")
    for lane in range(4):
        found[f"baton_chat_queued_lane{lane}"] = _queued(read, lane)
    return found


def _counter(read: Callable[[], SenderStats], name: str) -> Callable[[], float]:
    return lambda: float(getattr(read(), name))


def _queued(read: Callable[[], SenderStats], lane: int) -> Callable[[], float]:
    return lambda: float(read().queued.get(lane, 0))
