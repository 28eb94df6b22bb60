"""The chat layer's tables: who is who in chat, invitations, button tokens, and the outbox.

The outbox holds messages waiting for the chat channel (Telegram today), and the chats
that blocked the bot.
"""

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


class ChatUser(SQLModel, table=True):
    """A Telegram user bound to a dealer with a role."""

    __tablename__ = "chat_users"
    __table_args__ = (Index("ix_chat_users_dealer", "dealer_id", "active"),)

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    dealer_id: str = Field(max_length=64)
    role: str = Field(max_length=8)  # owner | staff | hq
    language: str | None = Field(default=None, max_length=8)  # set by /lang; else Telegram's
    name: str = Field(default="", max_length=200)
    active: bool = True
    bound_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Invite(SQLModel, table=True):
    """A single-use code that binds whoever redeems it to a dealer and role."""

    __tablename__ = "invites"

    code_hash: str = Field(primary_key=True, max_length=64)  # invite_key(code): never the code
    dealer_id: str = Field(max_length=64)
    role: str = Field(max_length=8)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger))


class ButtonToken(SQLModel, table=True):
    """What an inline button does, looked up by the short opaque id in its callback data."""

    __tablename__ = "button_tokens"

    id: str = Field(primary_key=True, max_length=64)  # button_key(callback data), not the data
    action: str = Field(max_length=32)
    subject: str = Field(max_length=64)  # an offer or order id
    dealer_id: str = Field(max_length=64)
    roles: str = Field(max_length=32)  # comma-separated roles allowed to press it
    arg: str | None = Field(default=None, max_length=32)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


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
    lane: int  # 0 goes first; see shared.chat.outbox.Lane
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
