"""The settlement service's tables: the ledger, its view of each order, and payout batches.

Ledger rows are never updated or deleted: a correction is a new transaction. A
transaction's ``key`` names what caused it (``order:{id}:accepted``, ``…:return:{rid}``,
``payout:{period}:{dealer}:{currency}``) and is unique, so a redelivered event posts
nothing new. Balances are sums of entries (SQL aggregates); what HQ's console reads of
every dealer at once comes from a kept summary of the dealers' entries (``EarningsDay``,
``EarningsMonth``, ``EarningsTotal``), written in the same transaction as each posting
(``summary.py``) and checked against the entries by ``baton check ledger``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Text
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


def _amount() -> Any:
    """A summary's sum in minor units: a column of its own in each table (0 when new)."""
    return Field(default=0, sa_type=BigInteger, nullable=False, sa_column_kwargs={"default": 0})


class SummaryAmounts(SQLModel):
    """The sums every earnings summary row keeps, in minor units: by kind (fulfilment,
    referral) and the changes to each bucket."""

    fulfilment: int = _amount()
    referral: int = _amount()
    held: int = _amount()
    pending: int = _amount()
    available: int = _amount()
    paid: int = _amount()
    cash_owed: int = _amount()


class EarningsDay(SummaryAmounts, table=True):
    """What one settlement day's postings did to one dealer's money in one currency.

    The day is the local date (``BATON_SETTLEMENT_TZ``) of each transaction's ``at``. The
    kinds are what accruals (holds, voids, returns) booked to the dealer's fulfilment and
    referral shares; the states are the changes to each bucket (``cash_owed`` as the
    ledger has it: negative while owed). Rows are kept in (dealer, currency, day) order
    (without a rowid on SQLite), so a page of dealers reads a few runs of rows, and a run
    of days of every dealer is summed in that order: SQLite seeks into each dealer's days,
    PostgreSQL finds them by the index on ``day``.
    """

    __tablename__ = "earnings_days"
    __table_args__ = (  # a run of days, every dealer's: PostgreSQL reads it by this index
        Index("ix_earnings_days_day", "day"),
        {"sqlite_with_rowid": False},
    )

    dealer_id: str = Field(primary_key=True, max_length=64)
    currency: str = Field(primary_key=True, max_length=3)
    day: date = Field(primary_key=True)


class EarningsMonth(SummaryAmounts, table=True):
    """The ``EarningsDay`` rows of one calendar month (``month``: its first day) added up,
    so a period reads one row a dealer for each whole month it spans."""

    __tablename__ = "earnings_months"
    __table_args__ = {"sqlite_with_rowid": False}

    dealer_id: str = Field(primary_key=True, max_length=64)
    currency: str = Field(primary_key=True, max_length=3)
    month: date = Field(primary_key=True)


class EarningsTotal(SummaryAmounts, table=True):
    """Every day of one dealer's ``EarningsDay`` rows in one currency added up: its
    balances now, so a balance at a period's end reads one row less the days after it."""

    __tablename__ = "earnings_totals"

    dealer_id: str = Field(primary_key=True, max_length=64)
    currency: str = Field(primary_key=True, max_length=3)


SUMMARY_COLUMNS = tuple(SummaryAmounts.model_fields)


class LedgerCheck(SQLModel, table=True):
    """One run of the ledger check (``baton check ledger`` or ``POST /v1/ledger/checks``):
    what it checked and what it found; no ``finished_at`` while it runs (or if its
    process stopped first)."""

    __tablename__ = "ledger_checks"
    __table_args__ = (Index("ix_ledger_checks_started", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    started_by: str = Field(max_length=128)  # cli, or the API key / console member
    transactions: int = 0
    entries: int = 0
    orders: int = 0
    payouts: int = 0
    summary_days: int = 0
    ok: bool | None = None
    violation: str | None = Field(default=None, sa_column=Column(Text))
    duration_ms: int | None = None
