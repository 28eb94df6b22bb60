"""The catalog's tables: products and dealers (HQ's warehouse is a dealer row too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class Product(SQLModel, table=True):
    """A SKU with its prices in minor units and the channels it may be sold through."""

    __tablename__ = "products"

    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=64, index=True)
    list_price: int
    wholesale_price: int
    floor_price: int
    currency: str = Field(max_length=3)
    channel: str = Field(max_length=16)  # both | online_only | offline_only
    needs_installation: bool = False
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Dealer(SQLModel, table=True):
    """A store that can fulfil orders, or HQ's own warehouse."""

    __tablename__ = "dealers"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    region: str = Field(max_length=64, index=True)
    city: str = Field(max_length=64)
    lat: float
    lon: float
    service_radius_km: float
    capabilities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    capacity: int
    exclusive_regions: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    referral_code: str | None = Field(default=None, max_length=32, unique=True)
    paused: bool = False
    warehouse: bool = False
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
