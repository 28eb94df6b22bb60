"""The bot's own tables: who is who in chat, invitations, button tokens, and its view of orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


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

    code: str = Field(primary_key=True, max_length=32)
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

    id: str = Field(primary_key=True, max_length=16)
    action: str = Field(max_length=32)
    subject: str = Field(max_length=64)  # an offer or order id
    dealer_id: str = Field(max_length=64)
    roles: str = Field(max_length=32)  # comma-separated roles allowed to press it
    arg: str | None = Field(default=None, max_length=32)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


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
