"""Stock across the network: every dealer's levels, filtered a page at a time, and HQ's counts
of the low and the stale ones (``GET /v1/stock``, ``GET /v1/stats/stock``).

A level is *low* when its available units (on hand − reserved) are at most ``low``, and
*stale* when its last count is more than ``stale_days`` of HQ's days old — counted on the
day it was taken, then 1 the next day, as a dealer's scorecard counts — or was never
taken. Dealers' regions come from the catalog's public face, joined in the same query;
the list goes by (dealer, SKU), the table's own key, so its pages are stable and each is
one range of the primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.stock.models import StockLevel
from shared.regions import region_key, region_name

_LEVELS: Table = StockLevel.__table__  # type: ignore[attr-defined]


def stale_before(stale_days: int, zone: tzinfo, now: datetime) -> datetime:
    """The instant a count must be taken at or after not to be stale: the start of the HQ
    day ``stale_days`` before today (a count of that day is ``stale_days`` days old)."""
    oldest_fresh = now.astimezone(zone).date() - timedelta(days=stale_days)
    return datetime.combine(oldest_fresh, time(), tzinfo=zone).astimezone(UTC)


def days_since(reported_at: datetime | None, today: date, zone: tzinfo) -> int | None:
    """HQ's days since a count (0: today), None if never counted."""
    return None if reported_at is None else (today - reported_at.astimezone(zone).date()).days


@dataclass(frozen=True)
class StockFilter:
    """What a list of levels is narrowed to; None leaves a field open. Low and stale
    together keep the levels that are both."""

    region: str | None = None  # any spelling
    sku: str | None = None
    low: int | None = None  # available at most this
    stale_before: datetime | None = None  # counted before this, or never


@dataclass(frozen=True)
class NetworkLevel:
    """One SKU at one dealer, with the dealer's region (None: not in the catalog)."""

    dealer_id: str
    region: str | None
    sku: str
    on_hand: int
    reserved: int
    reported_at: datetime | None


def _low(low: int) -> ColumnElement[bool]:
    return (_LEVELS.c.on_hand - _LEVELS.c.reserved) <= low


def _stale(before: datetime) -> ColumnElement[bool]:
    reported = _LEVELS.c.reported_at
    return or_(reported.is_(None), reported < before)


async def _with_regions(session: AsyncSession, region: str | None) -> tuple[Any, Any]:
    """The levels joined to their dealers' regions (only ``region``'s, if given; else
    every level, a dealer the catalog lacks with no region), and the region column."""
    dealers = (await catalog.dealer_regions(session, region)).subquery()
    on = dealers.c.id == _LEVELS.c.dealer_id
    joined = _LEVELS.join(dealers, on) if region is not None else _LEVELS.outerjoin(dealers, on)
    return joined, dealers.c.region


async def network_levels(
    session: AsyncSession, where: StockFilter, limit: int, after: tuple[str, str] | None
) -> list[NetworkLevel]:
    """Up to ``limit`` levels matching ``where`` by (dealer, SKU), after the key ``after``."""
    joined, region = await _with_regions(session, where.region)
    c = _LEVELS.c
    query = select(
        c.dealer_id, region.label("region"), c.sku, c.on_hand, c.reserved, c.reported_at
    ).select_from(joined)
    if where.sku is not None:
        query = query.where(c.sku == where.sku)
    if where.low is not None:
        query = query.where(_low(where.low))
    if where.stale_before is not None:
        query = query.where(_stale(where.stale_before))
    if after is not None:
        dealer_id, sku = after
        query = query.where(
            or_(c.dealer_id > dealer_id, and_(c.dealer_id == dealer_id, c.sku > sku))
        )
    query = query.order_by(c.dealer_id, c.sku).limit(limit)
    connection = await session.connection()
    return [NetworkLevel(**row._mapping) for row in await connection.execute(query)]


@dataclass
class Tally:
    """Levels, and how many of them are low and stale."""

    levels: int = 0
    low: int = 0
    stale: int = 0

    def add(self, levels: int, low: int, stale: int) -> None:
        """Count more levels in."""
        self.levels += levels
        self.low += low
        self.stale += stale


@dataclass(frozen=True)
class NetworkCounts:
    """The network's levels counted in all, by region (in English; None: a dealer the catalog
    lacks), by SKU, and by both."""

    total: Tally
    by_region: dict[str | None, Tally]
    by_sku: dict[str, Tally]
    by_region_and_sku: dict[tuple[str | None, str], Tally]


async def network_counts(session: AsyncSession, low: int, before: datetime) -> NetworkCounts:
    """Every level counted, low ones (available at most ``low``) and stale ones (counted
    before ``before``, or never): one grouped query, regions folded across spellings."""
    joined, region = await _with_regions(session, None)
    c = _LEVELS.c
    columns = (
        region.label("region"), c.sku, func.count().label("levels"),
        func.sum(case((_low(low), 1), else_=0)).label("low"),
        func.sum(case((_stale(before), 1), else_=0)).label("stale"),
    )  # fmt: skip
    query = select(*columns).select_from(joined).group_by(region, c.sku)
    connection = await session.connection()
    counts = NetworkCounts(Tally(), {}, {}, {})
    names: dict[str, str] = {}  # region_key -> the name it is shown by
    for row in await connection.execute(query):
        stored, sku = row.region, row.sku
        shown = None
        if stored is not None:  # 四川, sichuan and Sichuan are one region
            shown = names.setdefault(region_key(stored), region_name(stored, "en"))
        numbers = int(row.levels), int(row.low or 0), int(row.stale or 0)
        for tally in (
            counts.total,
            counts.by_region.setdefault(shown, Tally()),
            counts.by_sku.setdefault(sku, Tally()),
            counts.by_region_and_sku.setdefault((shown, sku), Tally()),
        ):
            tally.add(*numbers)
    return counts
