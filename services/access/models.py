"""The access service's tables: API keys and console sessions, hashes of their secrets only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from shared.db.types import UTCDateTime


class ApiKey(SQLModel, table=True):
    """One API key: its public id, name, scopes, binding, times, and the hash of its secret."""

    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=16)  # the public part of the key
    name: str = Field(max_length=64)
    secret_hash: str = Field(max_length=64)  # SHA-256 of the secret part, hex
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    channel: str | None = Field(default=None, max_length=64)
    dealer_id: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=128)  # "cli" or the audit actor of an admin key
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class ConsoleLink(SQLModel, table=True):
    """A one-time console sign-in link sent to a member in chat: its hash, never the link."""

    __tablename__ = "console_links"

    token_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the link's token
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    role: str = Field(max_length=8)  # the member's chat role when the link was asked for
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class ConsoleSession(SQLModel, table=True):
    """A signed-in console: the browser holds the secret in a cookie, Baton its hash."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user", "user_id"),)

    secret_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the cookie
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    role: str = Field(max_length=8)
    csrf: str = Field(max_length=64)  # sent back by the pages on every change they ask for
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
