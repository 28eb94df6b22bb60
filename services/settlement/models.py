"""The settlement service's tables: the ledger, its view of each order, and payout batches.

Ledger rows are never updated or deleted: a correction is a new transaction. A
transaction's ``key`` names what caused it (``order:{id}:accepted``, ``…:return:{rid}``,
``payout:{period}:{dealer}:{currency}``) and is unique, so a redelivered event posts
nothing new. Balances are sums of entries (SQL aggregates), never stored beside them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class LedgerTransaction(SQLModel, table=True):
    """One posting: entries that add up to zero, caused by one event or job."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (
        Index("ix_ledger_transactions_order", "order_id"),
        Index("ix_ledger_transactions_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=16)  # hold, void, handover, return, release, payout
    order_id: str | None = Field(default=None, max_length=64)
    currency: str = Field(max_length=3)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))  # when it happened
    posted_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LedgerEntry(SQLModel, table=True):
    """An amount booked to one account; positive adds to the account's balance."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_dealer", "dealer_id", "bucket"),
        Index("ix_ledger_entries_account", "account"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(
        sa_column=Column(Integer, ForeignKey("ledger_transactions.id"), nullable=False, index=True)
    )
    account: str = Field(max_length=160)
    currency: str = Field(max_length=3)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    # For a dealer's accounts: whose, in which bucket (held, pending, available, paid,
    # cash_owed) and of which kind (fulfilment, referral); kinds for the others too.
    dealer_id: str | None = Field(default=None, max_length=64)
    bucket: str | None = Field(default=None, max_length=16)
    share: str | None = Field(default=None, max_length=16)
    sku: str | None = Field(default=None, max_length=64)


class SettledOrder(SQLModel, table=True):
    """What settlement knows of an order: the snapshot it was sold with and its money state."""

    __tablename__ = "settlement_orders"

    order_id: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=64)
    currency: str = Field(max_length=3)
    payment: str = Field(max_length=8)
    fulfilling_dealer_id: str = Field(max_length=64, index=True)
    originating_dealer_id: str | None = Field(default=None, max_length=64, index=True)
    fulfilled_by_hq: bool = False
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=16)  # held, pending, available, voided
    returned: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    accepted_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    handed_over_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    available_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    voided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SettlementPeriod(SQLModel, table=True):
    """A closed (or closing) payout period."""

    __tablename__ = "settlement_periods"

    period: str = Field(primary_key=True, max_length=32)  # 2026-W03, 2026-01-01..2026-01-31
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    closed_by: str = Field(max_length=64)


class PayoutLine(SQLModel, table=True):
    """One dealer's line of a payout batch, as posted by its transaction."""

    __tablename__ = "payout_lines"

    period: str = Field(primary_key=True, max_length=32)
    dealer_id: str = Field(primary_key=True, max_length=64)
    currency: str = Field(primary_key=True, max_length=3)
    available: int = Field(sa_column=Column(BigInteger, nullable=False))
    cash_owed: int = Field(sa_column=Column(BigInteger, nullable=False))  # ≤ 0: owed to HQ
    paid: int = Field(sa_column=Column(BigInteger, nullable=False))
    carried: int = Field(sa_column=Column(BigInteger, nullable=False))  # ≤ 0: still owed
    transaction_key: str = Field(max_length=200)
