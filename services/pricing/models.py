"""The pricing tables: floor versions, promotions, and HQ's chat drafts awaiting a confirm.

They belong to the orders side, with the catalog: order intake reads them, and counts
promotional units in the order's own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class PriceRule(SQLModel, table=True):
    """One version of a price floor for a SKU or a category, in force from ``effective_at``.

    Versions are only ever added: the history is the rows of a key in time order.
    """

    __tablename__ = "price_rules"
    __table_args__ = (Index("ix_price_rules_scope_key", "scope", "key", "effective_at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)  # sku | category
    key: str = Field(max_length=64)  # the SKU or the category
    floor: int  # minor units
    currency: str = Field(max_length=3)
    effective_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(max_length=128)  # the audit actor: "api", "tg:<user id>"


class Promotion(SQLModel, table=True):
    """A discount on some SKUs or categories, in some regions, for a window of time."""

    __tablename__ = "promotions"
    __table_args__ = (Index("ix_promotions_window", "ends_at", "starts_at"),)

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))  # excluded
    skus: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    percent_off: int | None = None  # basis points: 1000 is 10 %
    amount_off: int | None = None  # minor units per unit, in ``currency``
    currency: str | None = Field(default=None, max_length=3)
    funded_by: str = Field(max_length=8)  # hq | dealer | shared
    unit_cap: int | None = None
    units_sold: int = 0  # counted in each order's transaction, never above unit_cap
    stackable: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(max_length=128)
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    ended_by: str | None = Field(default=None, max_length=128)
