"""Every dealer's earnings at once, from the kept summary: what HQ's console reads.

The figures are those of ``earnings.dealer_earnings`` for each dealer and currency: what
accruals earned by kind and what payouts paid over ``[starts_at, ends_at)``; held, pending,
available and cash owed at its end. With ``d(t)`` the settlement day an instant falls on
and ``M(d)`` the midnight that starts day ``d``:

- over the period: the summary's days ``d(S) ≤ d < d(E)``, less the entries of
  ``[M(d(S)), S)``, plus those of ``[M(d(E)), E)``;
- at its end: the summary's days before ``d(E)``, or the totals less the days from
  ``d(E)`` on, whichever reads fewer rows (a period that ends today reads the totals
  alone), plus the entries of ``[M(d(E)), E)``.

A run of days is read as a month row for each month it covers whole, and for a month it
covers in part, as that month's days in it or as its month row less its other days,
whichever are fewer: a dealer costs a few rows a month, and a few dozen at worst, however
long the period or the history. A period of whole days (dates, the default) reads the
summary only; the ledger is read just for the part of a day that a period given as times
cuts off.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Subquery,
    Table,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.catalog import public as catalog
from services.settlement.earnings import Figures
from services.settlement.models import SUMMARY_COLUMNS, LedgerEntry, LedgerTransaction
from services.settlement.periods import local_day, local_midnight
from services.settlement.summary import DAYS, MONTHS, TOTALS, entry_columns
from shared.db.engine import Database
from shared.regions import region_key, region_name

PERIOD_COLUMNS = ("fulfilment", "referral", "paid")  # over the period
STATE_COLUMNS = ("held", "pending", "available", "cash_owed")  # at its end
Key = tuple[str, str]  # dealer, currency


@dataclass(frozen=True)
class Span:
    """``[starts_at, ends_at)`` and the zone whose days the summary counts."""

    starts_at: datetime
    ends_at: datetime
    zone: ZoneInfo

    @property
    def first_day(self) -> date:
        """The day the period starts on."""
        return local_day(self.starts_at, self.zone)

    @property
    def end_day(self) -> date:
        """The day the period ends on (its first day not wholly in it)."""
        return local_day(self.ends_at, self.zone)

    def cut(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The part of ``at``'s day before ``at`` (None when ``at`` is a midnight)."""
        midnight = local_midnight(local_day(at, self.zone), self.zone)
        return (midnight, at) if midnight < at else None


@asynccontextmanager
async def consistent_read(db: Database) -> AsyncIterator[AsyncSession]:
    """A read session whose queries all see one snapshot (REPEATABLE READ on PostgreSQL;
    SQLite's read transaction is one already)."""
    async with db.read() as session:
        if not db.is_sqlite:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


async def figures(
    session: AsyncSession, span: Span, dealers: Sequence[str] | None = None
) -> dict[Key, Figures]:
    """Each dealer's (of ``dealers``; None: every dealer's) non-zero figures per currency."""
    per_dealer = await _per_dealer(session, span, dealers)
    rows = await _rows(
        session, select(per_dealer).order_by(per_dealer.c.dealer_id, per_dealer.c.currency)
    )
    return {(d, c): _figures(c, values) for d, c, *values in rows}


def _figures(currency: str, values: Sequence[Any]) -> Figures:
    named = dict(zip(SUMMARY_COLUMNS, (int(v) for v in values), strict=True))
    return Figures(currency, **named | {"cash_owed": -named["cash_owed"]})


async def _per_dealer(session: AsyncSession, span: Span, dealers: Sequence[str] | None) -> Subquery:
    """One row per dealer and currency with a figure: ``SUMMARY_COLUMNS`` as the ledger
    has them (``cash_owed`` negative while owed), over the period and at its end.

    Each part is summed by dealer on its own (a pass over rows in their stored order,
    adding plain columns), then the parts, a row per dealer each, are added up.
    """
    lo, hi = await _bounds(session, span)
    reads: list[tuple[Piece, Sequence[str]]] = [
        (piece, PERIOD_COLUMNS) for piece in _between(span.first_day, span.end_day, lo, hi)
    ]
    before = _between(lo, span.end_day, lo, hi)  # the states: the days before the end …
    after = _between(span.end_day, hi, lo, hi)  # … or the totals less the days from it on
    parts = []
    if _cost(before) <= 1 + _cost(after):
        reads += [(piece, STATE_COLUMNS) for piece in before]
    else:
        parts.append(_part(TOTALS, dealers, STATE_COLUMNS, 1))
        reads += [(replace(piece, sign=-piece.sign), STATE_COLUMNS) for piece in after]
    parts += _parts(reads, dealers)
    start_cut, end_cut = span.cut(span.starts_at), span.cut(span.ends_at)
    if start_cut is not None:  # the part of the first day before the period: not in it
        parts.append(_entries(dealers, *start_cut, period=-1, states=0))
    if end_cut is not None:  # the part of the end day in the period: in it, and before the end
        parts.append(_entries(dealers, *end_cut, period=1, states=1))
    if not parts:  # nothing was ever booked
        parts.append(_part(TOTALS, dealers, (), 1, false()))
    every = union_all(*parts).subquery()
    total = (
        select(
            every.c.dealer_id, every.c.currency,
            *(cast(func.sum(every.c[n]), BigInteger).label(n) for n in SUMMARY_COLUMNS),
        )
        .group_by(every.c.dealer_id, every.c.currency)
        .subquery()
    )  # fmt: skip
    some = or_(*(total.c[n] != 0 for n in SUMMARY_COLUMNS))
    return select(total).where(some).subquery()


async def _bounds(session: AsyncSession, span: Span) -> tuple[date, date]:
    """The first day anything was booked on, and the day after the last: the summary has
    no rows outside them (both the period's first day when nothing was booked)."""
    at = col(LedgerTransaction.at)
    first = (await _rows(session, select(func.min(at)))).scalar()
    last = (await _rows(session, select(func.max(at)))).scalar()
    if first is None or last is None:
        return span.first_day, span.first_day
    return local_day(first, span.zone), local_day(last, span.zone) + timedelta(days=1)


@dataclass(frozen=True)
class Piece:
    """Rows of the days (or months) table from ``since`` to ``until``, added ``sign`` times."""

    table: Table
    since: date
    until: date
    sign: int = 1


def _between(since: date, until: date, lo: date, hi: date) -> list[Piece]:
    """Pieces adding up the summary's days in ``[since, until)`` (none lie before ``lo`` or
    from ``hi`` on): each month wholly in it one row of the months, each month partly in it
    its days, or its month row less the days outside, whichever reads fewer rows."""
    since, until = max(since, lo), min(until, hi)
    pieces: list[Piece] = []
    month = since.replace(day=1)
    while month < until:
        following = (month + timedelta(days=31)).replace(day=1)
        start, end = max(since, month), min(until, following)  # its days in the range
        first, last = max(month, lo), min(following, hi)  # its days that can have rows
        if (start - first).days + (last - end).days + 1 < (end - start).days:
            pieces.append(Piece(MONTHS, month, following))
            pieces += [Piece(DAYS, a, b, -1) for a, b in ((first, start), (end, last)) if a < b]
        else:
            pieces.append(Piece(DAYS, start, end))
        month = following
    return pieces


def _cost(pieces: Sequence[Piece]) -> int:
    """Rows a dealer's pieces read, about."""
    return sum((p.until - p.since).days if p.table is DAYS else 1 for p in pieces)


def _parts(
    reads: Sequence[tuple[Piece, Sequence[str]]], dealers: Sequence[str] | None
) -> list[Any]:
    """A part for each piece, reading the columns every read of it needs: a run of days
    both the period and the states read (the month the period ends in, often) in one pass."""
    columns: dict[Piece, set[str]] = {}
    for piece, needed in reads:
        columns.setdefault(piece, set()).update(needed)
    parts = []
    for piece, names in columns.items():
        key = piece.table.c.day if piece.table is DAYS else piece.table.c.month
        where = (key >= piece.since, key < piece.until)
        parts.append(_part(piece.table, dealers, sorted(names), piece.sign, *where))
    return parts


def _part(
    table: Table,
    dealers: Sequence[str] | None,
    columns: Sequence[str],
    sign: int,
    *where: ColumnElement[bool],
) -> Any:
    """``columns`` of ``table``'s rows summed by dealer and currency (times ``sign``), the
    other summary columns zero: one part of the figures, in ``SUMMARY_COLUMNS`` order."""
    t = table.c
    sums = [  # bigint: PostgreSQL's sum of bigints is a (slower, wider) numeric
        (cast(func.sum(t[n]), BigInteger) * sign if n in columns else literal(0)).label(n)
        for n in SUMMARY_COLUMNS
    ]
    statement = select(t.dealer_id, t.currency, *sums).where(*where)
    if dealers is not None:
        statement = statement.where(t.dealer_id.in_(list(dealers)))
    return statement.group_by(t.dealer_id, t.currency)


def _entries(
    dealers: Sequence[str] | None, since: datetime | None, until: datetime, *, period: int,
    states: int,
) -> Any:  # fmt: skip
    """The ledger's entries booked in ``[since, until)``, as the summary's columns, each
    counted ``period`` times over the period and ``states`` times in the states."""
    every = dict(zip(SUMMARY_COLUMNS, entry_columns(), strict=True))
    dealer, at = col(LedgerEntry.dealer_id), col(LedgerTransaction.at)
    statement: Any = (
        select(
            dealer.label("dealer_id"), col(LedgerEntry.currency).label("currency"),
            *(
                func.sum(every[n] * (period if n in PERIOD_COLUMNS else states)).label(n)
                for n in SUMMARY_COLUMNS
            ),
        )
        .where(
            col(LedgerTransaction.id) == col(LedgerEntry.transaction_id),
            dealer.is_not(None), at < until,
        )
        .group_by(dealer, col(LedgerEntry.currency))
    )  # fmt: skip
    if since is not None:
        statement = statement.where(at >= since)
    if dealers is not None:
        statement = statement.where(dealer.in_(list(dealers)))
    return statement


async def ledger_figures(
    session: AsyncSession, span: Span, dealers: Sequence[str] | None = None
) -> dict[Key, Figures]:
    """The same figures summed from the ledger's entries alone (no summary): what the
    summary saves, for the benchmark's baseline and the tests."""
    parts = [
        _entries(dealers, span.starts_at, span.ends_at, period=1, states=0),
        _entries(dealers, None, span.ends_at, period=0, states=1),
    ]
    every = union_all(*parts).subquery()
    total = (
        select(
            every.c.dealer_id,
            every.c.currency,
            *(func.sum(every.c[n]).label(n) for n in SUMMARY_COLUMNS),
        )
        .group_by(every.c.dealer_id, every.c.currency)
        .order_by(every.c.dealer_id, every.c.currency)
    )
    found = {}
    for d, c, *values in await _rows(session, total):
        if any(values):
            found[(d, c)] = _figures(c, values)
    return found


async def dealer_page(
    session: AsyncSession,
    span: Span,
    *,
    after: Key | None,
    limit: int,
    dealer_id: str | None = None,
    region: str | None = None,
) -> list[tuple[str, Figures]]:
    """Up to ``limit`` (dealer, figures) rows after ``after``, by dealer id then currency;
    only ``dealer_id``, or the dealers of ``region`` (any spelling), when given.

    Reads the summary of ``limit`` dealers at a time, in the database's order of ids, so a
    page costs the same wherever it starts.
    """
    rows: list[tuple[str, Figures]] = []
    start, inclusive = (after[0] if after else None), True
    while len(rows) < limit:
        ids = await _dealers_from(session, start, inclusive, limit, dealer_id, region)
        found = await figures(session, span, ids) if ids else {}
        by_dealer: dict[str, list[Figures]] = {}
        for (dealer, _), figure in found.items():
            by_dealer.setdefault(dealer, []).append(figure)
        for dealer in ids:
            for figure in by_dealer.get(dealer, []):
                if after is not None and dealer == after[0] and figure.currency <= after[1]:
                    continue
                rows.append((dealer, figure))
        if len(ids) < limit:
            break
        start, inclusive = ids[-1], False
    return rows[:limit]


async def _dealers_from(
    session: AsyncSession,
    start: str | None,
    inclusive: bool,
    limit: int,
    dealer_id: str | None,
    region: str | None,
) -> list[str]:
    """The next ``limit`` dealers with a summary, from ``start`` on, by id."""
    dealer = TOTALS.c.dealer_id
    statement = select(dealer).group_by(dealer).order_by(dealer).limit(limit)
    if start is not None:
        statement = statement.where(dealer >= start if inclusive else dealer > start)
    if dealer_id is not None:
        statement = statement.where(dealer == dealer_id)
    if region is not None:
        of_region = (await catalog.dealer_regions(session, region)).subquery()
        statement = statement.where(dealer.in_(select(of_region.c.id)))
    return [str(d) for d in (await _rows(session, statement)).scalars()]


@dataclass
class RegionFigures:
    """A region's dealers' figures in one currency, added up."""

    region: str | None  # the region's id (``sichuan``); None: dealers the catalog lacks
    stored: str | None  # the region as a dealer of it has it stored
    currency: str
    dealers: int = 0  # those with a figure in the currency
    figures: Figures | None = None

    @property
    def name_zh(self) -> str | None:
        """The region's name in Chinese (unknown regions: as stored)."""
        return None if self.stored is None else region_name(self.stored, "zh")

    @property
    def name_en(self) -> str | None:
        """The region's name in English (unknown regions: as stored)."""
        return None if self.stored is None else region_name(self.stored, "en")


async def region_rows(
    session: AsyncSession, span: Span, *, region: str | None = None, dealer_id: str | None = None
) -> list[RegionFigures]:
    """The figures of every region's dealers (the region the catalog has for each), per
    currency, by region id; ``region`` or ``dealer_id`` narrows to one. Added up in SQL:
    a few rows per region come back, whatever the number of dealers."""
    per_dealer = await _per_dealer(session, span, [dealer_id] if dealer_id is not None else None)
    regions = (await catalog.dealer_regions(session, region)).subquery()
    joined = per_dealer.outerjoin(regions, regions.c.id == per_dealer.c.dealer_id)
    if region is not None:
        joined = per_dealer.join(regions, regions.c.id == per_dealer.c.dealer_id)
    statement = (
        select(
            regions.c.region, per_dealer.c.currency, func.count(),
            *(func.sum(per_dealer.c[n]) for n in SUMMARY_COLUMNS),
        )
        .select_from(joined)
        .group_by(regions.c.region, per_dealer.c.currency)
    )  # fmt: skip
    groups: dict[tuple[str | None, str], RegionFigures] = {}
    for stored, currency, count, *values in await _rows(session, statement):
        key = region_key(stored) if stored is not None else None
        group = groups.setdefault((key, currency), RegionFigures(key, stored, currency))
        group.dealers += int(count)
        group.figures = _plus(group.figures, _figures(currency, values))
    return [groups[k] for k in sorted(groups, key=lambda k: (k[0] is None, k[0] or "", k[1]))]


def _plus(total: Figures | None, more: Figures) -> Figures:
    if total is None:
        return more
    return Figures(
        more.currency, **{n: getattr(total, n) + getattr(more, n) for n in SUMMARY_COLUMNS}
    )


async def _rows(session: AsyncSession, statement: Any) -> Any:
    """The result of a Core ``statement`` on the session's connection."""
    return await (await session.connection()).execute(statement)
