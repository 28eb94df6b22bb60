"""Closing a period: a payout batch that pays each dealer what is available, net of cash owed.

For each dealer and currency the close takes ``E``, the earnings available by the period's
end that no earlier payout paid (and not more than is available now, should a return have
taken some back since), and ``K``, the cash-owed balance (negative while the dealer owes
HQ cash collected on delivery). ``net = E + K``. One transaction, keyed
``payout:{period}:{dealer}:{currency}``, empties both: if ``net > 0`` HQ pays it (booked to
``earnings:paid``); otherwise nothing is paid and ``net`` stays in ``cash_owed``: a debt
carried into the next statement, never dropped.

A close is idempotent: each dealer's line is posted once, and closing a closed period
changes nothing and gives back the same lines. Periods are closed in order (a period may
not end before one already closed), so that "available by the end, less every payout"
never counts a payout twice.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement
from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.settlement import accounts
from services.settlement.ledger import Entry, cash_entry, dealer_entry, post
from services.settlement.models import (
    LedgerEntry,
    LedgerTransaction,
    PayoutLine,
    SettlementPeriod,
)
from services.settlement.periods import Period, PeriodError
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import UnitOfWork, unit_of_work
from shared.money import format_amount

CHUNK = 200
Progress = Callable[[int, int], None]
CSV_HEADER = ["period", "dealer_id", "currency", "available", "cash_owed", "net", "pay",
              "carried_debt"]  # fmt: skip


@dataclass(frozen=True)
class Closed:
    """The outcome of a close: the batch's lines, and whether this call closed it."""

    period: SettlementPeriod
    lines: list[PayoutLine]
    newly_closed: bool


def payout_entries(dealer_id: str, available: int, cash: int) -> tuple[list[Entry], int, int]:
    """The entries that settle ``available`` against ``cash``; also (paid, carried)."""
    net = available + cash
    paid, carried = max(net, 0), min(net, 0)
    cash_change = -cash + carried
    entries = [
        dealer_entry(dealer_id, "available", -available, None),
        cash_entry(dealer_id, cash_change),
        dealer_entry(dealer_id, "paid", paid, None),
    ]
    return [e for e in entries if e.amount], paid, carried


async def close_period(
    db: Database, clock: Clock, period: Period, closed_by: str, progress: Progress | None = None
) -> Closed:
    """Close ``period``: post every dealer's payout line once; raises PeriodError if it may not.

    Raises PeriodError, changing nothing, for a period that has not ended or that ends
    before one already closed.
    """
    now = clock.now()
    if period.ends_at > now:
        raise PeriodError(
            f"{period.label} has not ended yet (it ends {period.ends_at:%Y-%m-%d %H:%M} UTC)"
        )
    async with unit_of_work(db, clock) as uow:
        row = await uow.session.get(SettlementPeriod, period.label, with_for_update=True)
        if row is not None and row.closed_at is not None:
            return Closed(row, await _lines(uow.session, period.label), False)
        later = (
            await uow.session.exec(
                select(SettlementPeriod.period).where(
                    col(SettlementPeriod.ends_at) > period.ends_at,
                    col(SettlementPeriod.period) != period.label,
                )
            )
        ).first()
        if later is not None:
            raise PeriodError(
                f"{later} is already closed and ends after {period.label}: close periods in order"
            )
        if row is None:
            row = SettlementPeriod(
                period=period.label, starts_at=period.starts_at, ends_at=period.ends_at,
                started_at=now, closed_by=closed_by,
            )  # fmt: skip
            uow.session.add(row)
    async with db.read() as session:
        dealers = await _dealers_with_money(session, period.ends_at)
    for start in range(0, len(dealers), CHUNK):
        chunk = dealers[start : start + CHUNK]
        async with unit_of_work(db, clock) as uow:
            await _pay(uow, period, chunk, clock.now())
        if progress is not None:
            progress(min(start + CHUNK, len(dealers)), len(dealers))
    async with unit_of_work(db, clock) as uow:
        row = await uow.session.get(SettlementPeriod, period.label, with_for_update=True)
        assert row is not None
        row.closed_at = clock.now()
        uow.session.add(row)
        return Closed(row, await _lines(uow.session, period.label), True)


def _as_of(ends_at: datetime) -> ColumnElement[bool]:
    """Entries booked before the end, plus every payout (all of them ended no later)."""
    return or_(col(LedgerTransaction.at) < ends_at, col(LedgerTransaction.kind) == "payout")


async def _dealers_with_money(session: AsyncSession, ends_at: datetime) -> list[str]:
    query = (
        select(LedgerEntry.dealer_id)
        .where(
            col(LedgerTransaction.id) == col(LedgerEntry.transaction_id),
            col(LedgerEntry.bucket).in_(("available", accounts.CASH_OWED)),
            _as_of(ends_at),
        )
        .group_by(col(LedgerEntry.dealer_id))
        .order_by(col(LedgerEntry.dealer_id))
    )
    return [str(d) for d in (await session.exec(query)).all() if d is not None]


async def _balances(
    session: AsyncSession, dealers: Sequence[str], ends_at: datetime | None
) -> dict[tuple[str, str, str], int]:
    query = (
        select(
            LedgerEntry.dealer_id, LedgerEntry.currency, LedgerEntry.bucket,
            func.sum(LedgerEntry.amount),
        )
        .where(
            col(LedgerTransaction.id) == col(LedgerEntry.transaction_id),
            col(LedgerEntry.dealer_id).in_(list(dealers)),
            col(LedgerEntry.bucket).in_(("available", accounts.CASH_OWED)),
        )
        .group_by(col(LedgerEntry.dealer_id), col(LedgerEntry.currency), col(LedgerEntry.bucket))
    )  # fmt: skip
    if ends_at is not None:
        query = query.where(_as_of(ends_at))
    rows = (await session.exec(query)).all()
    return {(str(d), str(c), str(b)): int(total) for d, c, b, total in rows}


async def _pay(uow: UnitOfWork, period: Period, dealers: Sequence[str], now: datetime) -> None:
    session = uow.session
    as_of = await _balances(session, dealers, period.ends_at)
    current = await _balances(session, dealers, None)
    done = {
        (line.dealer_id, line.currency)
        for line in (
            await session.exec(
                select(PayoutLine).where(
                    col(PayoutLine.period) == period.label,
                    col(PayoutLine.dealer_id).in_(list(dealers)),
                )
            )
        ).all()
    }
    pairs = sorted({(d, c) for d, c, _ in as_of})
    for dealer_id, currency in pairs:
        if (dealer_id, currency) in done:
            continue
        available = min(
            as_of.get((dealer_id, currency, "available"), 0),
            current.get((dealer_id, currency, "available"), 0),
        )
        cash = as_of.get((dealer_id, currency, accounts.CASH_OWED), 0)
        if not available and not cash:
            continue
        entries, paid, carried = payout_entries(dealer_id, available, cash)
        key = f"payout:{period.label}:{dealer_id}:{currency}"
        if await post(
            uow, key=key, kind="payout", currency=currency, at=now, now=now,
            zone=period.zone, entries=entries, detail={"period": period.label},
        ):  # fmt: skip
            session.add(
                PayoutLine(
                    period=period.label, dealer_id=dealer_id, currency=currency,
                    available=available, cash_owed=cash, paid=paid, carried=carried,
                    transaction_key=key,
                )
            )  # fmt: skip


async def _lines(session: AsyncSession, label: str) -> list[PayoutLine]:
    query = (
        select(PayoutLine)
        .where(col(PayoutLine.period) == label)
        .order_by(col(PayoutLine.dealer_id), col(PayoutLine.currency))
    )
    return list((await session.exec(query)).all())


def payout_row(line: PayoutLine) -> list[str]:
    """One line of the payout file, in the order of ``CSV_HEADER``.

    ``cash_owed`` and ``carried_debt`` are what the dealer owes HQ (positive); ``pay`` is
    what HQ transfers to the dealer.
    """
    c = line.currency
    net = line.available + line.cash_owed
    return [
        line.period, line.dealer_id, c, format_amount(line.available, c),
        format_amount(-line.cash_owed, c), format_amount(net, c), format_amount(line.paid, c),
        format_amount(-line.carried, c),
    ]  # fmt: skip


def payout_csv(lines: Sequence[PayoutLine]) -> str:
    """The finance payout file: one row per dealer and currency, amounts as decimal strings
    (``payout_row``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(payout_row(line) for line in lines)
    return out.getvalue()


async def period_lines(session: AsyncSession, label: str) -> list[PayoutLine]:
    """A period's payout lines, by dealer and currency (as its CSV lists them)."""
    return await _lines(session, label)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
