"""The bot's own tables: its view of the orders its dealers work on, and HQ's rule drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class BotOrder(SQLModel, table=True):
    """The bot's view of an order a dealer works on, kept from order events."""

    __tablename__ = "bot_orders"
    __table_args__ = (Index("ix_bot_orders_dealer_status", "dealer_id", "status"),)

    order_id: str = Field(primary_key=True, max_length=64)
    ref: str = Field(max_length=8, index=True)  # what staff type: short and unambiguous
    dealer_id: str = Field(max_length=64)
    status: str = Field(max_length=24)
    fulfilment: str = Field(max_length=16)
    offer_id: str | None = Field(default=None, max_length=64)
    deadline: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    lines: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    customer: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class RuleDraft(SQLModel, table=True):
    """A rule HQ typed in chat, shown as a preview until Confirm or Cancel is pressed."""

    __tablename__ = "rule_drafts"

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16)  # price | promo
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending|applied|cancelled|stale
    result: str | None = Field(default=None, max_length=64)  # the rule or promotion made
