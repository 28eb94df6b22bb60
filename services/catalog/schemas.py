"""The catalog's HTTP bodies: money as decimal strings, checked field by field."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.catalog.models import Dealer, Product
from shared.money import MoneyError, format_amount, known_currency, parse_amount

Capability = Literal["pickup", "delivery", "installation"]
Channel = Literal["both", "online_only", "offline_only"]
REFERRAL_CODE = r"^[A-Za-z0-9_-]{3,32}$"
ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")


def valid_id(value: str) -> bool:
    """True for a SKU or dealer id: 1 to 64 letters, digits, or ``_ . : -``."""
    return 1 <= len(value) <= 64 and set(value) <= ID_CHARS


class ProductBody(BaseModel):
    """`PUT /v1/products/{sku}`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    list_price: str
    wholesale_price: str
    floor_price: str
    channel: Channel = "both"
    needs_installation: bool = False

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return known_currency(value)

    @field_validator("list_price", "wholesale_price", "floor_price")
    @classmethod
    def _amount(cls, value: str, info: ValidationInfo) -> str:
        currency = info.data.get("currency")
        if currency is None:
            raise ValueError("give a valid currency first")
        try:
            parse_amount(value, currency)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None
        return value

    def minor(self, field: str) -> int:
        """A price field in minor units."""
        return parse_amount(getattr(self, field), self.currency)


class ProductView(BaseModel):
    """A product as the API shows it."""

    sku: str
    name: str
    category: str
    currency: str
    list_price: str
    wholesale_price: str
    floor_price: str
    channel: Channel
    needs_installation: bool

    @classmethod
    def of(cls, product: Product) -> ProductView:
        """The view of a Product row."""
        money = {
            field: format_amount(getattr(product, field), product.currency)
            for field in ("list_price", "wholesale_price", "floor_price")
        }
        return cls(
            sku=product.sku,
            name=product.name,
            category=product.category,
            currency=product.currency,
            channel=product.channel,
            needs_installation=product.needs_installation,
            **money,
        )


def _pickup_only() -> list[Capability]:
    return ["pickup"]


class DealerBody(BaseModel):
    """`PUT /v1/dealers/{id}`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=64)
    city: str = Field(min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    service_radius_km: float = Field(gt=0, le=3000)
    capabilities: list[Capability] = Field(default_factory=_pickup_only)
    capacity: int = Field(default=50, ge=0, le=100_000)
    exclusive_regions: list[str] = Field(default_factory=list, max_length=100)
    referral_code: str | None = Field(default=None, pattern=REFERRAL_CODE)
    paused: bool = False
    warehouse: bool = False

    @field_validator("capabilities")
    @classmethod
    def _unique(cls, value: list[Capability]) -> list[Capability]:
        return sorted(set(value))


class DealerView(DealerBody):
    """A dealer as the API shows it."""

    model_config = ConfigDict(extra="ignore")

    id: str

    @classmethod
    def of(cls, dealer: Dealer) -> DealerView:
        """The view of a Dealer row."""
        return cls.model_validate(dealer.model_dump())
