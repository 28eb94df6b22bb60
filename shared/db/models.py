"""Tables of the reliable-delivery plumbing shared by every service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class OutboxRow(SQLModel, table=True):
    """A message committed with a state change, waiting for the relay to publish it."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    stream: str = Field(max_length=120)
    message_id: str = Field(max_length=64)
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class InboxRow(SQLModel, table=True):
    """A message a consumer group has applied; a second delivery finds it and does nothing."""

    __tablename__ = "inbox"

    consumer_group: str = Field(primary_key=True, max_length=64)
    message_id: str = Field(primary_key=True, max_length=64)
    processed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TimerRow(SQLModel, table=True):
    """A durable deadline: when due, its message moves to the outbox exactly once."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due_at", "due_at"),)

    key: str = Field(primary_key=True, max_length=200)
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    stream: str = Field(max_length=120)
    envelope: str = Field(sa_column=Column(Text, nullable=False))
