"""The statistics service's tables: counts kept as order events arrive.

They are summaries, not records: every figure can be rebuilt by replaying order events,
and nothing else reads them but the statistics routes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class OrderHour(SQLModel, table=True):
    """Orders that came in during one hour, by channel and where they stand now."""

    __tablename__ = "stats_order_hours"
    __table_args__ = (Index("ix_stats_order_hours_status", "status", "hour"),)

    hour: datetime = Field(sa_column=Column(UTCDateTime, primary_key=True))
    channel: str = Field(primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=24)
    currency: str = Field(primary_key=True, max_length=3)
    orders: int = 0
    amount: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class OrderDay(SQLModel, table=True):
    """Orders that came in on one of HQ's days, by channel, region and where they stand now.

    Hours by region would be a row for nearly every order of a large network (an hour's
    orders spread over 31 regions, 10 statuses and the channels); a day's are not.
    """

    __tablename__ = "stats_order_days"

    day: date = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=64)
    region: str = Field(primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=24)
    currency: str = Field(primary_key=True, max_length=3)
    orders: int = 0
    amount: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class DealerDay(SQLModel, table=True):
    """One dealer's offers and handovers on one day of HQ's calendar (``*``: everyone's)."""

    __tablename__ = "stats_dealer_days"

    dealer_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    offers: int = 0
    accepted: int = 0
    declined_out_of_stock: int = 0
    declined_too_busy: int = 0
    declined_cannot_deliver: int = 0
    declined_other: int = 0
    expired: int = 0
    withdrawn: int = 0  # taken by another dealer, cancelled, or failed before an answer
    pickups_locked: int = 0
    returns: int = 0
    accepted_within_15s: int = 0
    accepted_within_30s: int = 0
    accepted_within_60s: int = 0
    accepted_within_120s: int = 0
    accepted_within_300s: int = 0
    accepted_within_600s: int = 0
    accepted_within_1800s: int = 0
    accepted_later: int = 0


DEALER_COUNTERS = tuple(name for name in DealerDay.model_fields if name not in ("dealer_id", "day"))
