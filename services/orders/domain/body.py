"""The order body of ``POST /v1/orders``, checked field by field.

Strict: numbers are not strings, strings are not numbers, unknown fields are refused (a
misspelt ``referral_code`` must not silently lose a dealer's commission). Unit prices are
decimal strings; ``intake.parse_order`` passes the body's currency as validation context,
so a price with too many decimals is reported on its own path.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.money import MoneyError, check_amount, known_currency, parse_amount

ID = r"^[A-Za-z0-9_.:-]{1,64}$"  # SKUs and channel names, as in the catalog
_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,14})(\.[0-9]+)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Customer(_Strict):
    """Who ordered; ``referral_code`` is what the customer typed, known or not."""

    id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(pattern=r"^\+?[0-9][0-9 ()-]{3,30}$")
    referral_code: str | None = Field(default=None, max_length=64)


class Address(_Strict):
    """Where the customer is: region and city for routing, a point for distances."""

    region: str = Field(min_length=1, max_length=64)
    city: str = Field(min_length=1, max_length=64)
    line: str = Field(min_length=1, max_length=500)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class Line(_Strict):
    """A SKU, a quantity and the unit price the customer paid, as a decimal string."""

    sku: str = Field(pattern=ID)
    qty: int = Field(gt=0, le=100_000)
    unit_price: str

    @field_validator("unit_price")
    @classmethod
    def _amount(cls, value: str, info: ValidationInfo) -> str:
        if not _AMOUNT.match(value):
            raise ValueError(f'{value!r} is not an amount; write it like "199.00"')
        currency = (info.context or {}).get("currency")
        if currency is not None:
            try:
                parse_amount(value, currency)
            except MoneyError as exc:
                raise ValueError(str(exc)) from None
        return value


class OrderBody(_Strict):
    """An online order as the shop sends it."""

    external_id: str = Field(min_length=1, max_length=128)
    channel: str = Field(pattern=ID)
    customer: Customer
    fulfilment: Literal["pickup", "delivery"]
    address: Address
    lines: list[Line] = Field(min_length=1, max_length=200)
    currency: str
    payment: Literal["prepaid", "cod"]
    needs_installation: bool = False

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return known_currency(value)

    @field_validator("lines")
    @classmethod
    def _total(cls, lines: list[Line], info: ValidationInfo) -> list[Line]:
        # The total is stored and summed by settlement: it must stay within the money bound.
        currency = (info.context or {}).get("currency")
        if currency is not None:
            total = sum(line.qty * parse_amount(line.unit_price, currency) for line in lines)
            try:
                check_amount(total, currency)
            except MoneyError as exc:
                raise ValueError(f"the order's total {exc}") from None
        return lines

    def unit_price_minor(self, index: int) -> int:
        """Line ``index``'s unit price in minor units."""
        return parse_amount(self.lines[index].unit_price, self.currency)

    def amount_minor(self) -> int:
        """What the customer pays for all lines, in minor units."""
        return sum(line.qty * self.unit_price_minor(i) for i, line in enumerate(self.lines))
