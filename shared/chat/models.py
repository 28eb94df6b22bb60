"""The durable chat outbox: messages waiting for Telegram, and chats that blocked the bot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
PENDING = (QUEUED, SENDING)  # not finished: the sender still owes Telegram a request

ACTIVE = "active"


class ChatMessage(SQLModel, table=True):
    """One outgoing Bot API call, stored in the transaction that caused it."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        Index("ix_chat_messages_state_lane", "state", "lane"),
        Index("ix_chat_messages_chat_id", "chat_id"),
        Index("ix_chat_messages_seq", "seq"),
    )

    key: str = Field(primary_key=True, max_length=200)  # the caller's id: stored and sent once
    seq: int  # submission order: FIFO within a chat and lane
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    lane: int  # 0 goes first; see bots.sender.outbox.Lane
    method: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    refers_to: str | None = Field(default=None, max_length=200)  # the message an edit changes
    state: str = Field(default=QUEUED, max_length=16)
    attempts: int = 0  # failed tries (5xx, timeouts); 429s do not count
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_error: str | None = Field(default=None, max_length=500)


class ChatStatus(SQLModel, table=True):
    """Whether the bot may write to a chat; a blocked chat's messages are not sent."""

    __tablename__ = "chat_status"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    state: str = Field(default=ACTIVE, max_length=16)
    blocked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
