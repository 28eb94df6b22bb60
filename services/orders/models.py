"""The orders service's tables.

An order is stored whole as a JSON document (the domain aggregate) next to the columns
that are searched or unique; the document is the truth, the columns are kept in step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from services.orders.domain.offer_state import OfferState
from shared.db.types import UTCDateTime


class OfferStateColumn(TypeDecorator[OfferState]):
    """An offer's state, stored as its value (the same ``VARCHAR(16)``), read as an OfferState.

    A plain ``str`` column would hand handlers a string where they compare an enum; this one
    refuses a state that is not an OfferState on the way in, and reads one on the way out.
    """

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: OfferState | str | None, dialect: Dialect) -> str | None:
        """The string stored for a state (ValueError for one that is not an OfferState)."""
        return None if value is None else OfferState(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> OfferState | None:
        """The OfferState a stored string names."""
        return None if value is None else OfferState(value)


class OrderRow(SQLModel, table=True):
    """One order: its aggregate, what the shop sent, and the handover secret."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_orders_channel_external"),
        Index("ix_orders_retention", "customer_cleared_at", "status", "updated_at"),
        # The lists, newest first: all orders, or one region's (the other filters narrow
        # these, or use the single-column indexes).
        Index("ix_orders_created", "created_at", "id"),
        Index("ix_orders_region_created", "region", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    channel: str = Field(max_length=64)
    external_id: str = Field(max_length=128, index=True)
    region: str = Field(default="", max_length=64)  # the customer's, for the lists
    fingerprint: str = Field(max_length=80)
    status: str = Field(max_length=24, index=True)
    customer_id: str = Field(max_length=128, index=True)
    fulfilling_dealer_id: str | None = Field(default=None, max_length=64, index=True)
    originating_dealer_id: str | None = Field(default=None, max_length=64)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    aggregate: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    intake: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    pickup_salt: str | None = Field(default=None, max_length=64)
    pickup_digest: str | None = Field(default=None, max_length=128)
    pickup_failures: int = 0
    # When the customer's name, phone and street were cleared from ``intake`` (retention).
    customer_cleared_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class OfferRow(SQLModel, table=True):
    """One offer of an order to one dealer, kept for the dealer's record and for routing."""

    __tablename__ = "offers"
    __table_args__ = (
        Index("ix_offers_dealer_state", "dealer_id", "state"),
        # Open offers soonest to expire first (``GET /v1/offers``, the console's overview).
        Index("ix_offers_state_deadline", "state", "deadline", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    order_id: str = Field(max_length=64, index=True)
    dealer_id: str = Field(max_length=64)
    attempt: int
    state: OfferState = Field(sa_column=Column(OfferStateColumn(), nullable=False))
    request_id: str = Field(max_length=64)
    distance_km: float
    deadline: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    offered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    decline_reason: str | None = Field(default=None, max_length=32)


class RoutingRow(SQLModel, table=True):
    """A routing decision as it was made: every candidate and why it ranked or was excluded."""

    __tablename__ = "routing_decisions"

    order_id: str = Field(primary_key=True, max_length=64)
    attempt: int = Field(primary_key=True)
    decided_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    decision: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class CustomerBinding(SQLModel, table=True):
    """The dealer a customer belongs to after their first fulfilled order."""

    __tablename__ = "customer_bindings"

    customer_id: str = Field(primary_key=True, max_length=128)
    dealer_id: str = Field(max_length=64)
    bound_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
