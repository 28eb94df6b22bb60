"""Events the orders service emits for settlement, and settlement's own timer command.

Each event carries the whole sale as a snapshot (who took part, how it was paid, the lines
as sold), written in the same transaction as the order's change of state. Settlement
therefore never reads the orders tables, and any event can be booked on its own: one that
arrives before its predecessor (a handover before its acceptance) books the predecessor
first from the snapshot it carries.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PositiveInt

from shared.messages.envelope import Message
from shared.messages.orders import SaleLine
from shared.messages.registry import message

STREAM = "settlement"


class SaleSnapshot(BaseModel):
    """An order as sold: enough to book it without asking anyone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str = Field(min_length=1, max_length=64)
    channel: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    payment: Literal["prepaid", "cod"]
    fulfilling_dealer_id: str = Field(min_length=1, max_length=64)
    originating_dealer_id: str | None = Field(default=None, max_length=64)
    fulfilled_by_hq: bool = False  # HQ's own warehouse fulfilled it
    lines: list[SaleLine] = Field(min_length=1, max_length=200)
    accepted_at: AwareDatetime
    handed_over_at: AwareDatetime | None = None


@message("settlement.SaleAccepted", stream=STREAM)
class SaleAccepted(Message):
    """A dealer accepted the order: their share is held."""

    sale: SaleSnapshot


@message("settlement.SaleVoided", stream=STREAM)
class SaleVoided(Message):
    """An accepted order was cancelled before handover: the hold is released."""

    sale: SaleSnapshot
    reason: str = Field(default="", max_length=200)
    at: AwareDatetime


@message("settlement.SaleHandedOver", stream=STREAM)
class SaleHandedOver(Message):
    """The goods changed hands (``sale.handed_over_at``): the shares wait out the returns."""

    sale: SaleSnapshot


@message("settlement.SaleLinesReturned", stream=STREAM)
class SaleLinesReturned(Message):
    """Units came back; ``return_id`` is unique to this return."""

    sale: SaleSnapshot
    return_id: str = Field(min_length=1, max_length=64)
    lines: dict[str, PositiveInt] = Field(min_length=1, max_length=200)
    at: AwareDatetime


@message("settlement.ReleaseEarnings", stream=STREAM)
class ReleaseEarnings(Message):
    """An order's return window is over: pending shares become available (a durable timer)."""

    order_id: str
