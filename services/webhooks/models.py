"""Status webhooks waiting to reach the shop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class WebhookDelivery(SQLModel, table=True):
    """One signed POST to the shop, retried with back-off until it is answered 2xx."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "delivered_at", "next_attempt_at"),)

    id: str = Field(primary_key=True, max_length=64)  # the event id: the shop can de-duplicate
    url: str = Field(max_length=500)
    body: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    failed: bool = False
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
