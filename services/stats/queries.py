"""Reading the statistics: orders over time, the network's offers, dealers' scorecards.

Each reads the kept counts (``models``): an hour's orders are a few rows whatever the
number of orders, and a dealer's day one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Literal

from sqlalchemy import Table, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.stats.counts import ACCEPT_COLUMNS, NETWORK, quantile
from services.stats.models import DEALER_COUNTERS, DealerDay, OrderDay, OrderHour

_HOURS: Table = OrderHour.__table__  # type: ignore[attr-defined]
_DAYS: Table = DealerDay.__table__  # type: ignore[attr-defined]
_DAYS_OF_ORDERS: Table = OrderDay.__table__  # type: ignore[attr-defined]
Period = Literal["hour", "day"]
Dimension = Literal["status", "channel", "region"]
DECLINES = ("out_of_stock", "too_busy", "cannot_deliver", "other")


@dataclass(frozen=True)
class OrderCount:
    """Orders of one bucket of time and one value of the dimension asked for."""

    at: datetime  # the bucket's start (an hour in UTC, or midnight in HQ's zone)
    value: str
    currency: str
    orders: int
    amount_minor: int


async def orders_by_hour(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    *,
    by: Literal["status", "channel"],
    channel: str | None = None,
) -> list[OrderCount]:
    """Orders that came in from ``since`` to ``until``, per hour, by status or channel."""
    t = _HOURS.c
    statement = (
        select(t.hour, t[by], t.currency, func.sum(t.orders), func.sum(t.amount))
        .where(t.hour >= since, t.hour < until)
        .group_by(t.hour, t[by], t.currency)
    )
    if channel is not None:
        statement = statement.where(t.channel == channel)
    return [
        OrderCount(hour, value, currency, int(orders), int(amount))
        for hour, value, currency, orders, amount in await _rows(session, statement)
        if orders
    ]


async def orders_by_day(
    session: AsyncSession,
    first: date,
    last: date,
    *,
    by: Dimension,
    zone: tzinfo,
    channel: str | None = None,
    region: str | None = None,
) -> list[OrderCount]:
    """Orders that came in on HQ's days ``first`` to ``last``, per day, by ``by``."""
    t = _DAYS_OF_ORDERS.c
    statement = (
        select(t.day, t[by], t.currency, func.sum(t.orders), func.sum(t.amount))
        .where(t.day >= first, t.day <= last)
        .group_by(t.day, t[by], t.currency)
    )
    if channel is not None:
        statement = statement.where(t.channel == channel)
    if region is not None:
        statement = statement.where(t.region == region)
    return [
        OrderCount(_midnight(day, zone), value, currency, int(orders), int(amount))
        for day, value, currency, orders, amount in await _rows(session, statement)
        if orders
    ]


async def waiting_for_hq(session: AsyncSession, channel: str | None = None) -> int:
    """How many orders wait for HQ now (no dealer could take them)."""
    t = _HOURS.c
    statement = select(func.coalesce(func.sum(t.orders), 0)).where(t.status == "waiting_for_hq")
    if channel is not None:
        statement = statement.where(t.channel == channel)
    return int((await _rows(session, statement)).scalar_one())


@dataclass(frozen=True)
class Scorecard:
    """Offers and handovers over a run of days: a dealer's, or the network's."""

    dealer_id: str
    counts: dict[str, int]

    @property
    def declined(self) -> int:
        """Offers declined, whatever the reason."""
        return sum(self.counts[f"declined_{reason}"] for reason in DECLINES)

    @property
    def answered(self) -> int:
        """Offers accepted, declined or left to expire: those the dealer was asked about."""
        return self.counts["accepted"] + self.declined + self.counts["expired"]

    def rate(self, count: int) -> float | None:
        """``count`` over the offers answered, or None before any."""
        return round(count / self.answered, 4) if self.answered else None

    def accept_seconds(self, q: float) -> float | None:
        """The ``q`` quantile of the time from offer to acceptance, in seconds."""
        found = quantile(q, [self.counts[c] for c in ACCEPT_COLUMNS])
        return None if found is None else round(found, 1)


async def network(session: AsyncSession, first: date, last: date) -> Scorecard:
    """The whole network's offers and handovers from ``first`` to ``last`` (included)."""
    cards = await _scorecards(session, first, last, [_DAYS.c.dealer_id == NETWORK], 1)
    return cards[0] if cards else Scorecard(NETWORK, dict.fromkeys(DEALER_COUNTERS, 0))


async def scorecards(
    session: AsyncSession, first: date, last: date, limit: int, after: str | None
) -> list[Scorecard]:
    """Dealers with offers or handovers from ``first`` to ``last``, by id, after ``after``."""
    where = [_DAYS.c.dealer_id != NETWORK]
    if after is not None:
        where.append(_DAYS.c.dealer_id > after)
    return await _scorecards(session, first, last, where, limit)


async def _scorecards(
    session: AsyncSession, first: date, last: date, where: list[Any], limit: int
) -> list[Scorecard]:
    t = _DAYS.c
    statement = (
        select(t.dealer_id, *(func.sum(t[name]) for name in DEALER_COUNTERS))
        .where(t.day >= first, t.day <= last, *where)
        .group_by(t.dealer_id)
        .order_by(t.dealer_id)
        .limit(limit)
    )
    return [
        Scorecard(row[0], {name: int(v) for name, v in zip(DEALER_COUNTERS, row[1:], strict=True)})
        for row in await _rows(session, statement)
    ]


async def _rows(session: AsyncSession, statement: Any) -> Any:
    """The result of a Core ``statement`` on the session's connection."""
    return await (await session.connection()).execute(statement)


def _midnight(day: date, zone: tzinfo) -> datetime:
    """The start of ``day`` in ``zone``."""
    return datetime(day.year, day.month, day.day, tzinfo=zone)
