"""Posting to the ledger: balanced transactions, once per key; balances as sums of entries.

``post`` is the one place entries are written; it also adds a new transaction's dealer
entries to the kept earnings summary (``summary.py``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.settlement import accounts, summary
from services.settlement.accounts import Share, State
from services.settlement.models import LedgerEntry, LedgerTransaction
from shared.db.uow import UnitOfWork


class Unbalanced(ValueError):
    """A transaction whose entries do not add up to zero: a bug, never posted."""


@dataclass(frozen=True)
class Entry:
    """An amount for one account; ``dealer_id``, ``bucket`` and ``share`` say whose and what."""

    account: str
    amount: int
    dealer_id: str | None = None
    bucket: str | None = None
    share: str | None = None
    sku: str | None = None


def dealer_entry(
    dealer_id: str, state: State, amount: int, share: Share | str | None, sku: str | None = None
) -> Entry:
    """An entry on a dealer's earnings in ``state``."""
    return Entry(accounts.earnings(dealer_id, state), amount, dealer_id, state, share, sku)


def cash_entry(dealer_id: str, amount: int) -> Entry:
    """An entry on the cash a dealer owes HQ (negative: owed)."""
    return Entry(accounts.cash_owed(dealer_id), amount, dealer_id, accounts.CASH_OWED)


async def post(
    uow: UnitOfWork,
    *,
    key: str,
    kind: str,
    currency: str,
    at: datetime,
    now: datetime,
    zone: ZoneInfo,
    entries: Sequence[Entry],
    order_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Post a transaction unless ``key`` was posted before; True if it is new.

    Raises Unbalanced (and posts nothing) if the entries do not add up to zero. Entries of
    zero are left out; a transaction may have none (it still marks its key as done). A new
    transaction's dealer entries are added to the earnings summary under the day ``at``
    falls on in ``zone`` (``BATON_SETTLEMENT_TZ``), in the same transaction.
    """
    total = sum(entry.amount for entry in entries)
    if total != 0:
        raise Unbalanced(f"transaction {key} is off by {total} {currency}")
    connection = await uow.session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = LedgerTransaction.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(
            key=key, kind=kind, order_id=order_id, currency=currency, at=at, posted_at=now,
            detail=detail or {},
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.id)
    )  # fmt: skip
    transaction_id = (await connection.execute(statement)).scalar()
    if transaction_id is None:
        return False
    rows = [
        {
            "transaction_id": transaction_id, "account": e.account, "currency": currency,
            "amount": e.amount, "dealer_id": e.dealer_id, "bucket": e.bucket,
            "share": e.share, "sku": e.sku,
        }
        for e in entries
        if e.amount != 0
    ]  # fmt: skip
    if rows:
        await connection.execute(LedgerEntry.__table__.insert(), rows)  # type: ignore[attr-defined]
    summary.add(uow, zone, kind=kind, currency=currency, at=at, entries=entries)
    return True


async def posted(session: AsyncSession, key: str) -> bool:
    """True if a transaction with ``key`` exists."""
    query = select(LedgerTransaction.id).where(col(LedgerTransaction.key) == key)
    return (await session.exec(query)).first() is not None


async def entries_of(session: AsyncSession, key: str) -> list[LedgerEntry]:
    """The entries of the transaction ``key`` (none if it was never posted)."""
    query = (
        select(LedgerEntry)
        .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerEntry.transaction_id))
        .where(col(LedgerTransaction.key) == key)
        .order_by(col(LedgerEntry.id))
    )
    return list((await session.exec(query)).all())


async def order_bucket(
    session: AsyncSession, order_id: str, bucket: str
) -> dict[tuple[str, str | None], int]:
    """An order's dealer money in one bucket, by (dealer, kind), from its entries."""
    query = (
        select(LedgerEntry.dealer_id, LedgerEntry.share, func.sum(LedgerEntry.amount))
        .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerEntry.transaction_id))
        .where(col(LedgerTransaction.order_id) == order_id, col(LedgerEntry.bucket) == bucket)
        .group_by(col(LedgerEntry.dealer_id), col(LedgerEntry.share))
    )
    rows = (await session.exec(query)).all()
    return {(str(dealer), share): int(total) for dealer, share, total in rows if total}


async def account_balance(session: AsyncSession, account: str, currency: str) -> int:
    """One account's balance: the sum of its entries."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        col(LedgerEntry.account) == account, col(LedgerEntry.currency) == currency
    )
    return int((await session.exec(query)).one())
