"""`baton check ledger`: prove the books balance, or name the first thing that does not.

In order, stopping at the first violation:

1. every transaction's entries add up to zero, all in the transaction's currency;
2. the whole ledger adds up to zero per currency;
3. each order (and no transaction names an order settlement does not know): it has its
   hold; its split adds up to what the customer paid net of refunds (nothing if voided);
   its dealers' money sits only in the state the order is in (held, pending or available,
   plus cash owed after a cash-on-delivery handover; nothing once voided), and no dealer's
   share of it is negative;
4. every payout line equals the entries of its payout transaction;
5. the kept earnings summary (``summary.py``) equals the entries: each day of each dealer
   what the entries booked that settlement day (the first dealer and day that differ are
   named), each month the sum of its days, and each dealer's totals the sum of its days.

Balances are sums of entries, so "each balance equals its entries" is checked where a
balance is stored or implied: the payout lines, each order's money per state, and the
earnings summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, case, literal, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.settlement.earnings import ACCRUALS
from services.settlement.models import (
    SUMMARY_COLUMNS,
    EarningsDay,
    LedgerEntry,
    LedgerTransaction,
    PayoutLine,
    SettledOrder,
)
from services.settlement.periods import local_day, local_midnight
from services.settlement.summary import DAYS, MONTHS, TOTALS, entry_columns
from shared.db.engine import Database

CHUNK = 500
Progress = Callable[[str, int, int], None]
# Where an order's dealer money may be, by the order's state.
ALLOWED = {
    "held": {"held"},
    "pending": {"pending", "cash_owed"},
    "available": {"available", "cash_owed"},
    "voided": set(),
}


@dataclass
class Report:
    """What was checked, and the first violation (None: the ledger is sound)."""

    transactions: int = 0
    entries: int = 0
    orders: int = 0
    payouts: int = 0
    summary_days: int = 0  # dealer days of the earnings summary
    violation: str | None = None

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return self.violation is None


async def check_ledger(db: Database, progress: Progress | None = None, *, zone: ZoneInfo) -> Report:
    """Run every check on one snapshot; the report names the first violation, if any.

    ``zone`` is ``BATON_SETTLEMENT_TZ``, whose days the earnings summary counts in.
    SQLite's read transaction is a snapshot already; on PostgreSQL the session runs in
    REPEATABLE READ, so the checks agree with each other while services keep posting.
    """
    report = Report()
    async with db.read() as session:
        if not db.is_sqlite:  # one snapshot for every query, while services keep posting
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        report.transactions = await _count(session, LedgerTransaction)
        report.entries = await _count(session, LedgerEntry)
        report.violation = (
            await _transactions_balance(session)
            or await _ledger_balances(session)
            or await _orders(session, report, progress)
            or await _payouts(session, report)
            or await _summary(session, report, zone)
        )
    return report


async def _count(session: AsyncSession, table: type) -> int:
    return int((await session.exec(select(func.count()).select_from(table))).one())


async def _transactions_balance(session: AsyncSession) -> str | None:
    joined = col(LedgerTransaction.id) == col(LedgerEntry.transaction_id)
    mixed = (
        await session.exec(
            select(LedgerTransaction.key, LedgerEntry.currency, LedgerTransaction.currency)
            .where(joined, col(LedgerEntry.currency) != col(LedgerTransaction.currency))
            .order_by(col(LedgerTransaction.id))
        )
    ).first()
    if mixed is not None:
        key, entry, own = mixed
        return f"transaction {key}: an entry in {entry}, but the transaction is in {own}"
    total = func.sum(LedgerEntry.amount)
    off = (
        await session.exec(
            select(LedgerTransaction.key, LedgerEntry.currency, total)
            .where(joined)
            .group_by(
                col(LedgerTransaction.id), col(LedgerTransaction.key), col(LedgerEntry.currency)
            )
            .having(total != 0)
            .order_by(col(LedgerTransaction.id))
        )
    ).first()
    if off is not None:
        key, currency, amount = off
        return f"transaction {key} does not balance: its entries add up to {amount} {currency}"
    return None


async def _ledger_balances(session: AsyncSession) -> str | None:
    total = func.sum(LedgerEntry.amount)
    rows = (
        await session.exec(
            select(LedgerEntry.currency, total)
            .group_by(col(LedgerEntry.currency))
            .order_by(col(LedgerEntry.currency))
        )
    ).all()
    for currency, amount in rows:
        if amount:
            return f"the ledger does not balance: {currency} entries add up to {amount}"
    return None


async def _orders(session: AsyncSession, report: Report, progress: Progress | None) -> str | None:
    orphan = (
        await session.exec(
            select(LedgerTransaction.key)
            .outerjoin(SettledOrder, col(SettledOrder.order_id) == col(LedgerTransaction.order_id))
            .where(
                col(LedgerTransaction.order_id).is_not(None), col(SettledOrder.order_id).is_(None)
            )
            .order_by(col(LedgerTransaction.id))
        )
    ).first()
    if orphan is not None:
        return f"transaction {orphan} names an order settlement does not know"
    total = await _count(session, SettledOrder)
    last = ""
    while True:
        rows = (
            await session.exec(
                select(SettledOrder)
                .where(col(SettledOrder.order_id) > last)
                .order_by(col(SettledOrder.order_id))
                .limit(CHUNK)
            )
        ).all()
        if not rows:
            return None
        problem = await _order_chunk(session, rows)
        report.orders += len(rows)
        if progress is not None:
            progress("orders", report.orders, total)
        if problem is not None:
            return problem
        last = rows[-1].order_id


async def _order_chunk(session: AsyncSession, rows: Sequence[SettledOrder]) -> str | None:
    ids = [row.order_id for row in rows]
    joined = col(LedgerTransaction.id) == col(LedgerEntry.transaction_id)
    in_chunk = col(LedgerTransaction.order_id).in_(ids)
    holds = set(
        (
            await session.exec(
                select(LedgerTransaction.order_id).where(
                    in_chunk, col(LedgerTransaction.kind) == "hold"
                )
            )
        ).all()
    )
    split_totals = dict(
        (
            await session.exec(
                select(LedgerTransaction.order_id, func.sum(LedgerEntry.amount))
                .where(joined, in_chunk, col(LedgerTransaction.kind).in_(ACCRUALS))
                .where(col(LedgerEntry.share).is_not(None))
                .group_by(col(LedgerTransaction.order_id))
            )
        ).all()
    )
    connection = await session.connection()  # five columns: more than sqlmodel's select types
    buckets = (
        await connection.execute(
            sa_select(col(LedgerTransaction.order_id), col(LedgerEntry.bucket),
                      col(LedgerEntry.dealer_id), col(LedgerEntry.share),
                      func.sum(LedgerEntry.amount))
            .where(joined, in_chunk, col(LedgerEntry.bucket).is_not(None))
            .group_by(col(LedgerTransaction.order_id), col(LedgerEntry.bucket),
                      col(LedgerEntry.dealer_id), col(LedgerEntry.share))
        )
    ).all()  # fmt: skip
    money: dict[str, list[tuple[str, str, str | None, int]]] = {}
    for order_id, bucket, dealer_id, share, amount in buckets:
        money.setdefault(str(order_id), []).append(
            (str(bucket), str(dealer_id), share, int(amount))
        )
    for row in rows:
        split = int(split_totals.get(row.order_id) or 0)
        problem = _order_problem(row, row.order_id in holds, split, money.get(row.order_id, []))
        if problem is not None:
            return problem
    return None


def expected_split(row: SettledOrder) -> int:
    """What an order's split must add up to: paid, net of refunds; nothing once voided."""
    if row.state == "voided":
        return 0
    return sum(
        line["unit_price"] * (line["qty"] - row.returned.get(line["sku"], 0)) for line in row.lines
    )


def _order_problem(
    row: SettledOrder, held: bool, split: int, money: list[tuple[str, str, str | None, int]]
) -> str | None:
    if not held:
        return f"order {row.order_id} has no hold transaction"
    expected = expected_split(row)
    if split != expected:
        return (
            f"order {row.order_id}: its split adds up to {split} {row.currency}, "
            f"but the customer paid {expected} net of refunds"
        )
    for bucket, dealer_id, share, amount in money:
        if amount and bucket not in ALLOWED.get(row.state, set()):
            return (
                f"order {row.order_id} is {row.state} but dealer {dealer_id} has {amount} "
                f"{row.currency} {bucket} on it"
            )
        if amount < 0 and bucket != "cash_owed":
            return (
                f"order {row.order_id}: dealer {dealer_id}'s {share} share is negative "
                f"({amount} {row.currency} {bucket})"
            )
    return None


async def _payouts(session: AsyncSession, report: Report) -> str | None:
    lines = (await session.exec(select(PayoutLine).order_by(col(PayoutLine.period)))).all()
    for line in lines:
        report.payouts += 1
        rows = (
            await session.exec(
                select(LedgerEntry.bucket, func.sum(LedgerEntry.amount))
                .where(
                    col(LedgerTransaction.id) == col(LedgerEntry.transaction_id),
                    col(LedgerTransaction.key) == line.transaction_key,
                    col(LedgerEntry.dealer_id) == line.dealer_id,
                )
                .group_by(col(LedgerEntry.bucket))
            )
        ).all()
        found = {str(bucket): int(amount) for bucket, amount in rows}
        wanted = {
            "available": -line.available,
            "cash_owed": -line.cash_owed + line.carried,
            "paid": line.paid,
        }
        if any(found.get(b, 0) != amount for b, amount in wanted.items()):
            return f"payout {line.transaction_key}: the line says {wanted}, its entries say {found}"
    return None


async def _summary(session: AsyncSession, report: Report, zone: ZoneInfo) -> str | None:
    report.summary_days = await _count(session, EarningsDay)
    return await _days_are_their_entries(session, zone) or await _totals_are_their_days(session)


def _differences(sums: Sequence[Any]) -> str:
    return ", ".join(f"{n} {int(v):+d}" for n, v in zip(SUMMARY_COLUMNS, sums, strict=True) if v)


def _any_not_zero(sums: Sequence[Any]) -> Any:
    return or_(*(total != 0 for total in sums))


async def _totals_are_their_days(session: AsyncSession) -> str | None:
    totals = sa_select(
        TOTALS.c.dealer_id, TOTALS.c.currency, *(TOTALS.c[n] for n in SUMMARY_COLUMNS)
    )
    days = sa_select(DAYS.c.dealer_id, DAYS.c.currency, *(-DAYS.c[n] for n in SUMMARY_COLUMNS))
    both = union_all(totals, days).subquery()
    sums = [func.sum(c) for c in list(both.c)[2:]]
    off = (
        await _execute(
            session,
            sa_select(both.c[0], both.c[1], *sums)
            .group_by(both.c[0], both.c[1])
            .having(_any_not_zero(sums))
            .order_by(both.c[0], both.c[1])
            .limit(1),
        )
    ).first()
    if off is None:
        return None
    dealer_id, currency, *values = off
    return (
        f"earnings summary: dealer {dealer_id}'s totals in {currency} are not the sum of its "
        f"days (totals less days: {_differences(values)})"
    )


async def _days_are_their_entries(session: AsyncSession, zone: ZoneInfo) -> str | None:
    """Each dealer day of the summary against the entries booked that day, and each dealer
    month against its days, a month at a time."""
    at = col(LedgerTransaction.at)
    bounds = [
        (await _execute(session, sa_select(func.min(at)))).scalar(),
        (await _execute(session, sa_select(func.max(at)))).scalar(),
    ]
    days = [local_day(t, zone) for t in bounds if t is not None]
    for key in (DAYS.c.day, MONTHS.c.month):
        found = (await _execute(session, sa_select(func.min(key), func.max(key)))).one()
        days += [day for day in found if day is not None]
    if not days:
        return None
    month, last = min(days).replace(day=1), max(days)
    while month <= last:
        following = (month + timedelta(days=31)).replace(day=1)
        span = [month + timedelta(days=i) for i in range((following - month).days + 1)]
        problem = await _days_of(session, zone, span) or await _month_of(session, month, following)
        if problem is not None:
            return problem
        month = following
    return None


async def _month_of(session: AsyncSession, month: date, following: date) -> str | None:
    """The first dealer whose month row differs from the sum of its days in that month."""
    kept = sa_select(
        MONTHS.c.dealer_id, MONTHS.c.currency, *(MONTHS.c[n] for n in SUMMARY_COLUMNS)
    ).where(MONTHS.c.month == month)
    days = sa_select(
        DAYS.c.dealer_id, DAYS.c.currency, *(-DAYS.c[n] for n in SUMMARY_COLUMNS)
    ).where(DAYS.c.day >= month, DAYS.c.day < following)
    both = union_all(kept, days).subquery()
    dealer, currency = list(both.c)[:2]
    sums = [func.sum(c) for c in list(both.c)[2:]]
    off = (
        await _execute(
            session,
            sa_select(dealer, currency, *sums)
            .group_by(dealer, currency)
            .having(_any_not_zero(sums))
            .order_by(dealer, currency)
            .limit(1),
        )
    ).first()
    if off is None:
        return None
    dealer_id, in_currency, *values = off
    return (
        f"earnings summary: dealer {dealer_id}'s month {month:%Y-%m} in {in_currency} is not "
        f"the sum of its days (month less days: {_differences(values)})"
    )


async def _days_of(session: AsyncSession, zone: ZoneInfo, span: list[date]) -> str | None:
    """The first dealer day of ``span[:-1]`` whose summary differs from its entries."""
    starts = [local_midnight(day, zone) for day in span]
    at = col(LedgerTransaction.at)
    day_of = case(
        *((at < starts[i + 1], literal(span[i], Date)) for i in range(len(span) - 2)),
        else_=literal(span[-2], Date),
    )
    entries = sa_select(
        col(LedgerEntry.dealer_id), day_of, col(LedgerEntry.currency), *entry_columns()
    ).where(
        col(LedgerTransaction.id) == col(LedgerEntry.transaction_id),
        col(LedgerEntry.dealer_id).is_not(None), at >= starts[0], at < starts[-1],
    )  # fmt: skip
    kept = sa_select(
        DAYS.c.dealer_id, DAYS.c.day, DAYS.c.currency, *(-DAYS.c[n] for n in SUMMARY_COLUMNS)
    ).where(DAYS.c.day >= span[0], DAYS.c.day < span[-1])
    both = union_all(entries, kept).subquery()
    dealer, day, currency = list(both.c)[:3]
    sums = [func.sum(c) for c in list(both.c)[3:]]
    off = (
        await _execute(
            session,
            sa_select(dealer, day, currency, *sums)
            .group_by(dealer, day, currency)
            .having(_any_not_zero(sums))
            .order_by(day, dealer, currency)
            .limit(1),
        )
    ).first()
    if off is None:
        return None
    dealer_id, on, in_currency, *values = off
    return (
        f"earnings summary: dealer {dealer_id} on {on} ({in_currency}) differs from the "
        f"entries booked that day (entries less summary: {_differences(values)})"
    )


async def _execute(session: AsyncSession, statement: Any) -> Any:
    return await (await session.connection()).execute(statement)
