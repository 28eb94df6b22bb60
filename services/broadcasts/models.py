"""The broadcasts tables: one row a broadcast, one row a chat it was queued for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime

DRAFT = "draft"  # previewed in chat, waiting for Send or Cancel
QUEUING = "queuing"  # being put in the chat outbox, a chunk at a time
QUEUED = "queued"  # every recipient's message is in the chat outbox
CANCELLED = "cancelled"  # a draft HQ cancelled: nothing was sent


class Broadcast(SQLModel, table=True):
    """A message from HQ to every dealer chat of a region (or of the whole network)."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_state", "state"),)

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16)  # notice | price | promotion | promotion_end
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    region: str | None = Field(default=None, max_length=64)  # None: every region
    created_by: str = Field(max_length=128)  # the audit actor: "tg:<user id>", "api", ...
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    requires_ack: bool = False
    state: str = Field(default=QUEUING, max_length=16)
    audience: int = 0  # recipients: counted at the start, the true number once all are queued
    queued: int = 0  # messages in the chat outbox so far
    cursor: int | None = Field(default=None, sa_column=Column(BigInteger))  # last chat queued
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    remind_cursor: int | None = Field(default=None, sa_column=Column(BigInteger))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class BroadcastRecipient(SQLModel, table=True):
    """A chat a broadcast was queued for, its message's key, and its acknowledgement."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (Index("ix_broadcast_recipients_dealer", "broadcast_id", "dealer_id"),)

    broadcast_id: str = Field(primary_key=True, max_length=32)
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    dealer_id: str = Field(max_length=64)
    language: str = Field(max_length=8)
    message_key: str = Field(max_length=200)  # the ChatMessage key: its state is the delivery
    acked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    acked_by: int | None = Field(default=None, sa_column=Column(BigInteger))
