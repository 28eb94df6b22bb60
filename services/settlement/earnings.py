"""A dealer's earnings over a period, from the ledger: what chat, HTTP and statements show.

Settlement's read side. The bot and the HTTP API ask this module, never the tables.

- ``fulfilment`` / ``referral``: what the dealer earned by kind from orders booked in the
  period (holds, less voids and returns booked in it);
- ``held`` / ``pending`` / ``available``: the dealer's balances in each state at the
  period's end; ``paid``: what payouts in the period paid;
- ``cash_owed``: cash collected on delivery that the dealer owes HQ at the period's end
  (positive: owed), already netted with payouts; ``net``: available less cash owed;
- orders fulfilled / originated: the dealer's orders handed over in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.settlement.models import LedgerEntry, LedgerTransaction, SettledOrder
from shared.db.engine import Database
from shared.money import format_amount

ACCRUALS = ("hold", "void", "return")


@dataclass
class Figures:
    """One currency's amounts, in minor units."""

    currency: str
    fulfilment: int = 0
    referral: int = 0
    held: int = 0
    pending: int = 0
    available: int = 0
    paid: int = 0
    cash_owed: int = 0

    @property
    def net(self) -> int:
        """What HQ owes the dealer now (negative: what the dealer owes HQ)."""
        return self.available - self.cash_owed

    def as_strings(self) -> dict[str, object]:
        """The figures as decimal strings, grouped as the HTTP API shows them."""
        c = self.currency
        return {
            "currency": c,
            "by_kind": {
                "fulfilment": format_amount(self.fulfilment, c),
                "referral": format_amount(self.referral, c),
            },
            "by_state": {
                "held": format_amount(self.held, c),
                "pending": format_amount(self.pending, c),
                "available": format_amount(self.available, c),
                "paid": format_amount(self.paid, c),
            },
            "cash_owed": format_amount(self.cash_owed, c),
            "net": format_amount(self.net, c),
        }


@dataclass
class Earnings:
    """A dealer's earnings over ``[starts_at, ends_at)``."""

    dealer_id: str
    starts_at: datetime
    ends_at: datetime
    fulfilled: int = 0
    originated: int = 0
    currencies: list[Figures] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing at all is on the dealer's books for the period."""
        blank = all(
            not any((f.fulfilment, f.referral, f.held, f.pending, f.available, f.paid,
                     f.cash_owed))
            for f in self.currencies
        )  # fmt: skip
        return not self.fulfilled and not self.originated and blank


async def dealer_earnings(
    db: Database, dealer_id: str, starts_at: datetime, ends_at: datetime
) -> Earnings:
    """The dealer's figures over ``[starts_at, ends_at)``, per currency."""
    async with db.read() as session:
        return await earnings_in(session, dealer_id, starts_at, ends_at)


async def earnings_in(
    session: AsyncSession, dealer_id: str, starts_at: datetime, ends_at: datetime
) -> Earnings:
    """``dealer_earnings`` inside a session the caller holds."""
    result = Earnings(dealer_id, starts_at, ends_at)
    figures: dict[str, Figures] = {}

    def of(currency: str) -> Figures:
        return figures.setdefault(currency, Figures(currency))

    joined = (
        col(LedgerTransaction.id) == col(LedgerEntry.transaction_id),
        col(LedgerEntry.dealer_id) == dealer_id,
    )
    at = col(LedgerTransaction.at)
    by_kind = (
        select(LedgerEntry.currency, LedgerEntry.share, func.sum(LedgerEntry.amount))
        .where(*joined, col(LedgerTransaction.kind).in_(ACCRUALS), at >= starts_at, at < ends_at)
        .where(col(LedgerEntry.share).in_(("fulfilment", "referral")))
        .group_by(col(LedgerEntry.currency), col(LedgerEntry.share))
    )
    for currency, share, total in (await session.exec(by_kind)).all():
        setattr(of(currency), str(share), int(total))
    by_state = (
        select(LedgerEntry.currency, LedgerEntry.bucket, func.sum(LedgerEntry.amount))
        .where(*joined, at < ends_at)
        .where(col(LedgerEntry.bucket).in_(("held", "pending", "available", "cash_owed")))
        .group_by(col(LedgerEntry.currency), col(LedgerEntry.bucket))
    )
    for currency, bucket, total in (await session.exec(by_state)).all():
        if bucket == "cash_owed":
            of(currency).cash_owed = -int(total)
        else:
            setattr(of(currency), str(bucket), int(total))
    paid = (
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .where(*joined, col(LedgerEntry.bucket) == "paid", at >= starts_at, at < ends_at)
        .group_by(col(LedgerEntry.currency))
    )
    for currency, total in (await session.exec(paid)).all():
        of(currency).paid = int(total)
    result.fulfilled = await _handed_over(session, SettledOrder.fulfilling_dealer_id, result)
    result.originated = await _handed_over(session, SettledOrder.originating_dealer_id, result)
    result.currencies = [figures[c] for c in sorted(figures)]
    return result


async def _handed_over(session: AsyncSession, column: object, result: Earnings) -> int:
    handed = col(SettledOrder.handed_over_at)
    query = select(func.count()).where(
        col(column) == result.dealer_id,
        handed >= result.starts_at,
        handed < result.ends_at,
    )
    return int((await session.exec(query)).one())


@dataclass(frozen=True)
class Line:
    """One row of a dealer's statement: an entry on their accounts."""

    at: datetime
    event: str
    order_id: str | None
    sku: str | None
    share: str | None
    bucket: str | None
    amount: int
    currency: str


async def statement_lines(
    session: AsyncSession, dealer_id: str, starts_at: datetime, ends_at: datetime
) -> list[Line]:
    """Every entry on the dealer's accounts in the period, oldest first."""
    at = col(LedgerTransaction.at)
    query = (
        sa_select(
            col(LedgerTransaction.at), col(LedgerTransaction.kind),
            col(LedgerTransaction.order_id), col(LedgerEntry.sku), col(LedgerEntry.share),
            col(LedgerEntry.bucket), col(LedgerEntry.amount), col(LedgerEntry.currency),
        )
        .where(
            col(LedgerTransaction.id) == col(LedgerEntry.transaction_id),
            col(LedgerEntry.dealer_id) == dealer_id, at >= starts_at, at < ends_at,
        )
        .order_by(at, col(LedgerEntry.id))
    )  # fmt: skip
    connection = await session.connection()  # eight columns: more than sqlmodel's select types
    return [Line(*row) for row in (await connection.execute(query)).all()]
