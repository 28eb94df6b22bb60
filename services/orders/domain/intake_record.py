"""What an order's row keeps of its intake (the ``orders.intake`` JSON), read and written here.

The document is the order body as the shop sent it (``body.OrderBody``), with
``needs_installation`` made true when a product needs it, the lines as sold
(``sale_lines``) and each line's pricing record (``pricing``, ``services.pricing``'s
``Quote.record``). Orders taken before the lines as sold or their pricing were recorded
have neither: both read as empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from services.orders.domain.body import OrderBody
from shared.messages.orders import SaleLine

__all__ = ["IntakeAddress", "IntakeCustomer", "IntakeLine", "IntakeRecord"]


class _Kept(BaseModel):
    # Read back what intake checked when the order came in: no limit or pattern is checked
    # again, so one tightened since cannot make a stored order unreadable.
    model_config = ConfigDict(frozen=True, extra="ignore")


class IntakeCustomer(_Kept):
    """Who ordered, as the shop sent it."""

    id: str
    name: str
    phone: str
    referral_code: str | None = None


class IntakeAddress(_Kept):
    """Where the customer is."""

    region: str
    city: str
    line: str
    lat: float
    lon: float


class IntakeLine(_Kept):
    """A line as the shop sent it; the unit price a decimal string."""

    sku: str
    qty: int
    unit_price: str


class IntakeRecord(_Kept):
    """An order's intake as stored: the body, the installation need, the lines as sold, pricing."""

    external_id: str
    channel: str
    customer: IntakeCustomer
    fulfilment: Literal["pickup", "delivery"]
    address: IntakeAddress
    lines: list[IntakeLine]
    currency: str
    payment: Literal["prepaid", "cod"] = "prepaid"
    needs_installation: bool = False
    sale_lines: list[SaleLine] = []
    # Owned by the pricing service, which reads it back (``recorded_units``): kept as it wrote it.
    pricing: list[dict[str, Any]] = []
    product_names: dict[str, str] = {}  # by SKU, as the catalog named them at intake

    @classmethod
    def taken(
        cls,
        body: OrderBody,
        *,
        needs_installation: bool,
        sale_lines: Iterable[SaleLine],
        pricing: Iterable[Mapping[str, Any]],
        product_names: Mapping[str, str] | None = None,
    ) -> IntakeRecord:
        """The record of ``body`` taken in with what intake worked out."""
        return cls.model_validate(
            body.model_dump(mode="json")
            | {
                "needs_installation": needs_installation,
                "sale_lines": list(sale_lines),
                "pricing": [dict(record) for record in pricing],
                "product_names": dict(product_names or {}),
            }
        )

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> IntakeRecord:
        """The record from the ``orders.intake`` JSON of any order stored so far."""
        return cls.model_validate(stored)

    def to_json(self) -> dict[str, Any]:
        """The JSON document the ``orders.intake`` column holds."""
        return self.model_dump(mode="json")

    def cleared(self) -> IntakeRecord:
        """The record without the customer's name, phone and street, and with the point
        rounded to a tenth of a degree: what is kept once the retention has passed (the
        region and city stay, for HQ's figures by region)."""
        point = {"lat": round(self.address.lat, 1), "lon": round(self.address.lon, 1)}
        address = self.address.model_copy(update={"line": ""} | point)
        customer = self.customer.model_copy(update={"name": "", "phone": ""})
        return self.model_copy(update={"customer": customer, "address": address})

    @property
    def district(self) -> str:
        """The city and region, as a dealer's offer shows where the customer is."""
        return f"{self.address.city}, {self.address.region}"

    @property
    def street_address(self) -> str:
        """The street and city, as an accepted order tells the dealer where to go."""
        return f"{self.address.line}, {self.address.city}"
