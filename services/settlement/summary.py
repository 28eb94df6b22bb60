"""The kept summary of dealers' earnings: added to with every posting, in its transaction.

HQ's console asks for every dealer's earnings at once (``GET /v1/stats/earnings``); summing
the ledger's entries for that reads millions of rows. So each posting also adds its dealer
entries to ``earnings_days`` (one row per dealer, currency and settlement day: what the
day's accruals earned by kind, and what the day did to each state), ``earnings_months``
(the days of each calendar month added up) and ``earnings_totals`` (all of them added up:
the balances now).

Written in the posting's own transaction (``ledger.post`` calls ``add``), the summary is as
right as the ledger: a transaction that rolls back or a process killed before its commit
leaves neither, and a redelivered event that posts nothing adds nothing. The rows a
transaction touches are gathered while it runs and written once, just before it commits
(``UnitOfWork.before_commit``): one upsert a table, ``amount = amount + excluded.amount``
(never a value read first, so replicas cannot lose each other's sums), keys in sorted
order, so two transactions lock shared rows in one order and only at their very end.

``baton check ledger`` proves the summary equals the entries (``check.py``). Its days are
local dates in ``BATON_SETTLEMENT_TZ``: changing that setting on a database with a ledger
leaves the old days in the old zone, and the check names the first that differs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, case, literal
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from services.settlement.accounts import DEALER_SHARES
from services.settlement.earnings import ACCRUALS
from services.settlement.models import (
    SUMMARY_COLUMNS,
    EarningsDay,
    EarningsMonth,
    EarningsTotal,
    LedgerEntry,
    LedgerTransaction,
)
from services.settlement.periods import local_day
from shared.db.uow import UnitOfWork

DAYS: Table = EarningsDay.__table__  # type: ignore[attr-defined]
MONTHS: Table = EarningsMonth.__table__  # type: ignore[attr-defined]
TOTALS: Table = EarningsTotal.__table__  # type: ignore[attr-defined]
BUCKETS = ("held", "pending", "available", "paid", "cash_owed")
_INDEX = {name: i for i, name in enumerate(SUMMARY_COLUMNS)}
_PENDING = "baton.settlement.summary"  # where a session keeps its transaction's sums
DayKey = tuple[str, str, date]  # dealer, currency, settlement day
TotalKey = tuple[str, str]  # dealer, currency
K = TypeVar("K")


class Posted(Protocol):
    """What the summary reads of an entry."""

    @property
    def amount(self) -> int: ...

    @property
    def dealer_id(self) -> str | None: ...

    @property
    def bucket(self) -> str | None: ...

    @property
    def share(self) -> str | None: ...


def columns_of(kind: str, bucket: str | None, share: str | None) -> list[int]:
    """The summary columns (indexes into ``SUMMARY_COLUMNS``) an entry adds its amount to:
    its kind when an accrual books it (a hold, void or return), and its state."""
    found = []
    if kind in ACCRUALS and share in DEALER_SHARES:
        found.append(_INDEX[share])
    if bucket in BUCKETS:
        found.append(_INDEX[bucket])
    return found


def entry_sums(
    kind: str, currency: str, day: date, entries: Iterable[Posted]
) -> dict[DayKey, list[int]]:
    """What one transaction's dealer entries add to the summary's days (pure)."""
    sums: dict[DayKey, list[int]] = {}
    for entry in entries:
        if entry.dealer_id is None or not entry.amount:
            continue
        for index in columns_of(kind, entry.bucket, entry.share):
            row = sums.setdefault((entry.dealer_id, currency, day), [0] * len(SUMMARY_COLUMNS))
            row[index] += entry.amount
    return sums


class Pending:
    """The sums a transaction adds, by day and in total, until it writes them."""

    def __init__(self) -> None:
        self.days: dict[DayKey, list[int]] = {}

    def add(self, sums: dict[DayKey, list[int]]) -> None:
        """Add one posting's sums."""
        for key, values in sums.items():
            _add_to(self.days, key, values)

    def rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """The day, month and total rows to add, each in key order, none all zero."""
        months: dict[DayKey, list[int]] = {}
        totals: dict[TotalKey, list[int]] = {}
        days = []
        for (dealer_id, currency, day), values in sorted(self.days.items()):
            if not any(values):
                continue
            days.append(_row(values, dealer_id=dealer_id, currency=currency, day=day))
            _add_to(months, (dealer_id, currency, day.replace(day=1)), values)
            _add_to(totals, (dealer_id, currency), values)
        return (
            days,
            [_row(v, dealer_id=d, currency=c, month=m) for (d, c, m), v in sorted(months.items())],
            [_row(v, dealer_id=d, currency=c) for (d, c), v in sorted(totals.items())],
        )


def _add_to(sums: dict[K, list[int]], key: K, values: Sequence[int]) -> None:
    row = sums.setdefault(key, [0] * len(SUMMARY_COLUMNS))
    for i, value in enumerate(values):
        row[i] += value


def _row(values: Sequence[int], **key: Any) -> dict[str, Any]:
    return key | dict(zip(SUMMARY_COLUMNS, values, strict=True))


def add(
    uow: UnitOfWork,
    zone: ZoneInfo,
    *,
    kind: str,
    currency: str,
    at: datetime,
    entries: Iterable[Posted],
) -> None:
    """Add a posted transaction's dealer entries to the summary, written before the commit."""
    sums = entry_sums(kind, currency, local_day(at, zone), entries)
    if not sums:
        return
    pending: Pending | None = uow.session.info.get(_PENDING)
    if pending is None:
        pending = uow.session.info[_PENDING] = Pending()

        async def write() -> None:
            del uow.session.info[_PENDING]
            await write_rows(uow, pending)

        uow.before_commit(write)
    pending.add(sums)


async def write_rows(uow: UnitOfWork, pending: Pending) -> None:
    """Add the pending sums to the summary's tables: one upsert each, keys sorted."""
    days, months, totals = pending.rows()
    if not days:
        return
    connection = await uow.session.connection()
    dialect = connection.dialect.name
    await connection.execute(_adding(DAYS, dialect, ("dealer_id", "currency", "day")), days)
    await connection.execute(_adding(MONTHS, dialect, ("dealer_id", "currency", "month")), months)
    await connection.execute(_adding(TOTALS, dialect, ("dealer_id", "currency")), totals)


@functools.cache
def _adding(table: Table, dialect: str, keys: tuple[str, ...]) -> Any:
    """INSERT the row, or add its amounts to the row of the same key: built once."""
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return upsert.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + upsert.excluded[name] for name in SUMMARY_COLUMNS},
    )


def entry_columns() -> list[ColumnElement[int]]:
    """The summary's columns as SQL over ``ledger_entries`` joined to their transactions:
    what ``columns_of`` adds, for sums of the entries themselves (reads, the check)."""
    amount = col(LedgerEntry.amount)
    accrual = col(LedgerTransaction.kind).in_(ACCRUALS)
    zero = literal(0)
    found: list[ColumnElement[int]] = []
    for name in SUMMARY_COLUMNS:
        if name in DEALER_SHARES:
            when = and_(accrual, col(LedgerEntry.share) == name)
        else:
            when = col(LedgerEntry.bucket) == name
        found.append(case((when, amount), else_=zero))
    return found
