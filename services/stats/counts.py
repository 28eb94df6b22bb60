"""What each order event adds to the statistics: pure, no I/O.

An order is counted once, in the hour it came in, under the status it has now: a change of
status moves it from one count to another. Offers and handovers are counted for the dealer
on the day (in HQ's time zone) they ended, and once more for the network.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TypeVar

from shared.messages import Message
from shared.messages.orders import HandoverAnswered, OfferClosed, OrderOffered, OrderStatusChanged

ACCEPT_BUCKETS = (15, 30, 60, 120, 300, 600, 1800)  # seconds: each bucket's upper bound
ACCEPT_COLUMNS = (*(f"accepted_within_{s}s" for s in ACCEPT_BUCKETS), "accepted_later")
NETWORK = "*"  # the dealer id of the network's own day rows: every dealer's together

HourKey = tuple[datetime, str, str, str]  # hour, channel, status, currency
DayKey = tuple[date, str, str, str, str]  # HQ's day, channel, region, status, currency
DealerKey = tuple[str, date]  # dealer id, day
Key = TypeVar("Key", HourKey, DayKey)


@dataclass
class Deltas:
    """What a run of events adds: (orders, amount) by hour and by day, counters by dealer
    day."""

    hours: dict[HourKey, list[int]] = field(default_factory=dict)
    days: dict[DayKey, list[int]] = field(default_factory=dict)
    dealers: dict[DealerKey, Counter[str]] = field(default_factory=dict)

    def order(
        self, created: datetime, zone: tzinfo, where: tuple[str, str, str, str], count: int,
        amount: int,
    ) -> None:  # fmt: skip
        """Add ``count`` orders worth ``amount``, that came in at ``created``, to their hour
        and their day in ``zone``; ``where`` is (channel, region, status, currency)."""
        channel, region, status, currency = where
        hour = created.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        _add(self.hours, (hour, channel, status, currency), count, amount)
        day = created.astimezone(zone).date()
        _add(self.days, (day, channel, region, status, currency), count, amount)

    def dealer(self, dealer_id: str, day: date, counter: str) -> None:
        """Count one ``counter`` for the dealer on ``day``, and for the network."""
        for who in (dealer_id, NETWORK):
            self.dealers.setdefault((who, day), Counter())[counter] += 1


def _add(counts: dict[Key, list[int]], key: Key, count: int, amount: int) -> None:
    held = counts.setdefault(key, [0, 0])
    held[0] += count
    held[1] += amount


def add(deltas: Deltas, message: Message, at: datetime, zone: tzinfo) -> None:
    """Add what ``message``, sent at ``at``, changes to ``deltas``."""
    day = at.astimezone(zone).date()
    if isinstance(message, OrderStatusChanged):
        _status_changed(deltas, message, day, zone)
    elif isinstance(message, OrderOffered):
        deltas.dealer(message.dealer_id, day, "offers")
    elif isinstance(message, OfferClosed):
        _offer_closed(deltas, message, at, day)
    elif (
        isinstance(message, HandoverAnswered)
        and message.outcome == "locked"
        and message.actor.dealer_id
    ):
        deltas.dealer(message.actor.dealer_id, day, "pickups_locked")


def accept_column(seconds: float) -> str:
    """The histogram column an acceptance ``seconds`` after its offer falls in."""
    return ACCEPT_COLUMNS[bisect.bisect_left(ACCEPT_BUCKETS, seconds)]


def quantile(q: float, counts: list[int]) -> float | None:
    """The ``q`` quantile (0 to 1) in seconds of the acceptance histogram ``counts`` (one per
    column of ``ACCEPT_COLUMNS``), interpolated inside its bucket as Prometheus does; None
    without acceptances. The open last bucket answers its lower bound."""
    total = sum(counts)
    if total == 0:
        return None
    rank, seen, lower = q * total, 0, 0.0
    for bound, count in zip((*ACCEPT_BUCKETS, None), counts, strict=True):
        if count and seen + count >= rank:
            if bound is None:
                return lower
            return lower + (bound - lower) * (rank - seen) / count
        seen += count
        lower = float(bound) if bound is not None else lower
    return lower


def _status_changed(deltas: Deltas, event: OrderStatusChanged, day: date, zone: tzinfo) -> None:
    created = event.created_at
    if created is None:  # sent before events carried it: no hour to count it in
        return
    channel, region, currency = event.channel, event.region, event.currency
    if event.previous is not None:
        was = (channel, region, event.previous, currency)
        deltas.order(created, zone, was, -1, -event.amount_minor)
    deltas.order(created, zone, (channel, region, event.status, currency), 1, event.amount_minor)
    if event.status == "returned" and event.fulfilling_dealer_id:
        deltas.dealer(event.fulfilling_dealer_id, day, "returns")


def _offer_closed(deltas: Deltas, event: OfferClosed, at: datetime, day: date) -> None:
    if event.outcome == "accepted":
        deltas.dealer(event.dealer_id, day, "accepted")
        if event.offered_at is not None:
            seconds = max(0.0, (at - event.offered_at).total_seconds())
            deltas.dealer(event.dealer_id, day, accept_column(seconds))
    elif event.outcome == "declined":
        deltas.dealer(event.dealer_id, day, f"declined_{event.reason or 'other'}")
    elif event.outcome == "expired":
        deltas.dealer(event.dealer_id, day, "expired")
    else:
        deltas.dealer(event.dealer_id, day, "withdrawn")
