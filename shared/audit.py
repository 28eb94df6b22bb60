"""The audit log: who did what to HQ's rules, broadcasts and invitations, and when.

Entries are written in the caller's transaction, so an action and its entry commit or roll
back together; a refused attempt is recorded too (``allowed=False``), in its own small
transaction since nothing else of it is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db.types import UTCDateTime


class AuditEntry(SQLModel, table=True):
    """One HQ action, or an attempt at one that was refused."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(max_length=128)  # "tg:<user id>", "api", "cli"
    role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=64, index=True)  # e.g. "price_rule.set", "broadcast.send"
    target: str | None = Field(default=None, max_length=128)
    allowed: bool = True
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def record(
    session: AsyncSession,
    at: datetime,
    actor: str,
    action: str,
    *,
    target: str | None = None,
    role: str | None = None,
    allowed: bool = True,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to ``session``'s transaction; it commits with the action it records."""
    entry = AuditEntry(
        at=at, actor=actor, role=role, action=action, target=target, allowed=allowed,
        detail=dict(detail or {}),
    )  # fmt: skip
    session.add(entry)
    return entry


async def entries(
    session: AsyncSession,
    *,
    action: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """The newest entries first (older than ``before_id``, if given), optionally of one action."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if action is not None:
        query = query.where(col(AuditEntry.action) == action)
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    return list((await session.exec(query)).all())
