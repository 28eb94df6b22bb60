"""Commands to the orders service and the events it publishes.

Commands come from the dealer bot (a dealer's answer, a pickup code) and from the orders
service itself (routing, offer deadlines). Events tell the bot what to show, settlement
what to book and the shop what happened.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.messages.envelope import Message
from shared.messages.registry import message

Id = str
DeclineReason = Literal["out_of_stock", "too_busy", "cannot_deliver", "other"]
# Every status of an order (the domain's OrderStatus), as events and the shop's webhooks
# carry it; a test keeps the two lists and the README's the same.
StatusName = Literal[
    "received", "waiting_for_hq", "offered", "accepted", "ready_for_pickup",
    "out_for_delivery", "completed", "cancelled", "returned", "rejected",
]  # fmt: skip


class Actor(BaseModel):
    """Who did something: a chat user acting for a dealer, HQ, the shop or the system."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["dealer", "hq", "shop", "system"]
    id: str = Field(min_length=1, max_length=64)
    dealer_id: Id | None = None


class OfferLine(BaseModel):
    """What the dealer is asked to hand over."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    name: str
    qty: int


class SaleLine(BaseModel):
    """One order line as sold, fixed at intake: what settlement and disputes go by.

    Prices are per unit in the order's minor units: ``unit_price`` is what the customer
    paid, ``list_price`` and ``wholesale_price`` the catalog's at order time.
    ``promotion_id`` names the promotion that applied, ``funded_by`` who bears its discount.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    category: str
    qty: int = Field(gt=0)
    unit_price: int = Field(ge=0)
    list_price: int = Field(ge=0)
    wholesale_price: int = Field(ge=0)
    promotion_id: str | None = None
    funded_by: Literal["hq", "dealer", "shared"] | None = None


# -- commands (stream "orders") ------------------------------------------------------------


@message("orders.RouteOrder", stream="orders")
class RouteOrder(Message):
    """Find the next dealer for an order no dealer holds (``received``, ``waiting_for_hq``)."""

    order_id: Id


@message("orders.OfferDeadline", stream="orders")
class OfferDeadline(Message):
    """An offer's time is up (a durable timer sends this)."""

    order_id: Id
    offer_id: Id


@message("orders.AcceptOffer", stream="orders")
class AcceptOffer(Message):
    """A dealer takes an offered order."""

    offer_id: Id
    actor: Actor


@message("orders.DeclineOffer", stream="orders")
class DeclineOffer(Message):
    """A dealer turns an offer down; ``out_of_stock`` also zeroes their stock of its SKUs."""

    offer_id: Id
    reason: DeclineReason
    actor: Actor


@message("orders.MarkReady", stream="orders")
class MarkReady(Message):
    """The goods are prepared: ready for pickup, or out for delivery."""

    order_id: Id
    actor: Actor


@message("orders.ConfirmPickup", stream="orders")
class ConfirmPickup(Message):
    """Store staff typed the customer's pickup code, sealed for the order (``shared.sealed``).

    ``code`` is the code in clear, as bots before sealing sent it: still read, never sent.
    """

    order_id: Id
    sealed_code: str | None = Field(default=None, max_length=200)
    code: str | None = Field(default=None, max_length=64)
    actor: Actor

    @model_validator(mode="after")
    def _one_code(self) -> ConfirmPickup:
        if (self.sealed_code is None) == (self.code is None):
            raise ValueError("give sealed_code (or, from an older bot, code)")
        return self


@message("orders.ConfirmDelivery", stream="orders")
class ConfirmDelivery(Message):
    """The dealer delivered the order."""

    order_id: Id
    actor: Actor


# -- events (stream "order-events") --------------------------------------------------------


@message("orders.OrderOffered", stream="order-events")
class OrderOffered(Message):
    """An offer to show in a dealer's chat, with Accept and Decline."""

    order_id: Id
    offer_id: Id
    dealer_id: Id
    lines: list[OfferLine]
    fulfilment: Literal["pickup", "delivery"]
    needs_installation: bool
    distance_km: float
    district: str  # "city, region" as the shop wrote them
    deadline: AwareDatetime
    city: str = ""  # the same, apart: chat shows the region's name in the reader's language
    region: str = ""


@message("orders.OfferClosed", stream="order-events")
class OfferClosed(Message):
    """An offer is over; the chat message should say how."""

    order_id: Id
    offer_id: Id
    dealer_id: Id
    outcome: Literal["accepted", "declined", "expired", "taken", "cancelled", "failed"]
    # For the statistics: when the offer reached the chat, and a decline's reason.
    offered_at: AwareDatetime | None = None
    reason: DeclineReason | None = None


@message("orders.OrderStatusChanged", stream="order-events")
class OrderStatusChanged(Message):
    """Any change of an order's status (the shop's webhooks and settlement follow this)."""

    order_id: Id
    external_id: str
    channel: str
    status: StatusName
    previous: StatusName | None
    fulfilling_dealer_id: Id | None
    originating_dealer_id: Id | None
    at: AwareDatetime
    # For the statistics, which count orders by the hour they came in: where and how much.
    region: str = ""
    amount_minor: int = 0
    currency: str = ""
    created_at: AwareDatetime | None = None


@message("orders.OrderAccepted", stream="order-events")
class OrderAccepted(Message):
    """A dealer took the order: now they may see who the customer is."""

    order_id: Id
    dealer_id: Id
    customer_name: str
    customer_phone: str
    address: str
    fulfilment: Literal["pickup", "delivery"]
    lines: list[OfferLine]


@message("orders.CustomerDetailsCleared", stream="order-events")
class CustomerDetailsCleared(Message):
    """These orders ended a retention ago and the orders service has cleared their customers'
    names, phones and streets: every copy elsewhere (the bot's, chats already sent) follows."""

    order_ids: list[Id] = Field(min_length=1, max_length=1000)
    retention_days: int = Field(gt=0)


@message("orders.HandoverAnswered", stream="order-events")
class HandoverAnswered(Message):
    """How a handover asked for in chat went (a pickup code, a delivery), for the bot's reply.

    ``refused`` names the ``reason``: the order's status (``offered``, ``completed``,
    ``cancelled``, ``returned``, ``rejected``), ``not_yours`` (another store has it now),
    ``not_pickup`` / ``not_delivery`` (it is handed over the other way), ``no_code``.
    """

    order_id: Id
    actor: Actor
    step: Literal["pickup", "delivery"]
    outcome: Literal["done", "wrong", "locked", "refused"]
    remaining: int = 0
    reason: str = ""


@message("orders.SetDealerPaused", stream="orders")
class SetDealerPaused(Message):
    """A dealer owner stops or restarts new offers (`/pause`, `/resume`)."""

    dealer_id: Id
    paused: bool
    actor: Actor
