"""The API keys table: a key's hash, never the key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
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
