"""Commands to the stock service and the events it publishes.

A reservation is named by the ``request_id`` its requester chose, so every command about
it is idempotent: a repeated ReserveStock reserves nothing more, a repeated release
releases nothing more.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.messages.envelope import Message
from shared.messages.registry import message

Sku = str
Id = str


class StockLine(BaseModel):
    """A quantity of one SKU."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Sku = Field(min_length=1, max_length=64)
    qty: int = Field(gt=0, le=1_000_000)


class StockCount(BaseModel):
    """A dealer's count of one SKU on hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Sku = Field(min_length=1, max_length=64)
    on_hand: int = Field(ge=0, le=100_000_000)


# -- commands (stream "stock") -------------------------------------------------------------


@message("stock.ReserveStock", stream="stock")
class ReserveStock(Message):
    """Hold every line at one dealer for an order's offer, all or nothing, until expiry."""

    request_id: Id
    order_id: Id
    dealer_id: Id
    lines: list[StockLine] = Field(min_length=1)
    expires_at: AwareDatetime


@message("stock.HoldReservation", stream="stock")
class HoldReservation(Message):
    """Keep a reservation past its offer (the dealer accepted); ``None`` holds until handover."""

    request_id: Id
    expires_at: AwareDatetime | None = None


@message("stock.CommitReservation", stream="stock")
class CommitReservation(Message):
    """The goods were handed over: take the reserved units off hand."""

    request_id: Id


@message("stock.ReleaseReservation", stream="stock")
class ReleaseReservation(Message):
    """Give the reserved units back (declined, expired, cancelled, taken by another)."""

    request_id: Id
    reason: str = Field(min_length=1, max_length=64)


@message("stock.ReportStock", stream="stock")
class ReportStock(Message):
    """A dealer's count replaces on-hand for these SKUs; reservations stay as they are."""

    dealer_id: Id
    counts: list[StockCount] = Field(min_length=1)
    source: Literal["api", "chat", "import", "decline"]
    reported_by: str | None = None


@message("stock.Restock", stream="stock")
class Restock(Message):
    """Returned goods go back on hand at the dealer receiving them."""

    request_id: Id
    order_id: Id
    dealer_id: Id
    lines: list[StockLine] = Field(min_length=1)


# -- events (stream "stock-events") --------------------------------------------------------


@message("stock.StockReserved", stream="stock-events")
class StockReserved(Message):
    """Every line of the request is held at the dealer."""

    request_id: Id
    order_id: Id
    dealer_id: Id


@message("stock.StockUnavailable", stream="stock-events")
class StockUnavailable(Message):
    """The dealer cannot hold the request; ``short`` lists the SKUs that were missing."""

    request_id: Id
    order_id: Id
    dealer_id: Id
    short: list[Sku]


@message("stock.ReservationReleased", stream="stock-events")
class ReservationReleased(Message):
    """A reservation ended without handover (``reason`` says why; ``expired`` included)."""

    request_id: Id
    order_id: Id
    dealer_id: Id
    reason: str


@message("stock.ReservationCommitted", stream="stock-events")
class ReservationCommitted(Message):
    """The reserved units left the dealer's hands with the order."""

    request_id: Id
    order_id: Id
    dealer_id: Id
