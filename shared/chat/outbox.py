"""Queue chat messages in the caller's transaction; the sender sends them after commit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.chat.models import ACTIVE, PENDING, ChatMessage, ChatStatus
from shared.chat.payloads import Lane, Outgoing, validate
from shared.db.engine import Database
from shared.db.uow import UnitOfWork

__all__ = [
    "Lane",
    "Outgoing",
    "mark_chat_active",
    "message_id_of",
    "queue_depth",
    "submit",
    "submit_many",
]
_WAKES = "baton_chat_sender_wakes"


async def submit(
    target: UnitOfWork | AsyncSession,
    key: str,
    chat_id: int,
    lane: int,
    method: str,
    payload: dict[str, Any],
    refers_to: str | None = None,
    *,
    wake: asyncio.Event | None = None,
) -> bool:
    """Queue one message in the caller's transaction; False if ``key`` was queued before."""
    message = Outgoing(key, chat_id, lane, method, payload, refers_to)
    return bool(await submit_many(target, [message], wake=wake))


async def submit_many(
    target: UnitOfWork | AsyncSession,
    messages: Sequence[Outgoing],
    *,
    wake: asyncio.Event | None = None,
) -> int:
    """Queue messages in the caller's transaction; returns how many keys were new.

    ``wake`` is set once the transaction commits, so a sender in this process starts at
    once instead of at its next poll; nothing is woken if it rolls back.
    """
    if not messages:
        return 0
    for message in messages:
        validate(message)
    session = target.session if isinstance(target, UnitOfWork) else target
    now = target.clock.now() if isinstance(target, UnitOfWork) else datetime.now(UTC)
    await _check_originals(session, messages)
    connection = await session.connection()
    # max + 1 inside the transaction: on SQLite writers are serialised, so the order is the
    # commit order; on PostgreSQL two concurrent transactions may tie, and a tie between
    # transactions that were not ordered anyway is broken by key. The sender finds new rows
    # by seq, so a cleanup must never delete the newest row (or seq would start lower).
    last = (await session.exec(select(func.coalesce(func.max(ChatMessage.seq), 0)))).one()
    table = ChatMessage.__table__  # type: ignore[attr-defined]
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).on_conflict_do_nothing().returning(table.c.key)
    rows = [
        {
            "key": m.key,
            "seq": last + n,
            "chat_id": m.chat_id,
            "lane": m.lane,
            "method": m.method,
            "payload": m.payload,
            "refers_to": m.refers_to,
            "state": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n, m in enumerate(messages, start=1)
    ]
    inserted = len((await connection.execute(statement, rows)).all())
    if wake is not None and inserted:
        _wake_after_commit(session, wake)
    return inserted


async def _check_originals(session: AsyncSession, messages: Sequence[Outgoing]) -> None:
    # An edit queued before its original could never be sent: refuse it now, not later.
    wanted = {m.refers_to: m.chat_id for m in messages if m.refers_to is not None}
    if not wanted:
        return
    earlier = {m.key: m.chat_id for m in messages}
    statement = select(ChatMessage.key, ChatMessage.chat_id).where(
        col(ChatMessage.key).in_(list(wanted))
    )
    stored = dict((await session.exec(statement)).all())
    for message in messages:
        if message.refers_to is None:
            continue
        chat = stored.get(message.refers_to, earlier.get(message.refers_to))
        if chat is None:
            raise ValueError(f"{message.key} refers to {message.refers_to}, which is not queued")
        if chat != message.chat_id:
            raise ValueError(f"{message.key} edits a message of another chat")
        earlier[message.key] = message.chat_id


def _wake_after_commit(session: AsyncSession, wake: asyncio.Event) -> None:
    wakes: set[asyncio.Event] = session.info.setdefault(_WAKES, set())
    if not wakes:

        def on_commit(_: Session) -> None:
            for event_ in session.info.pop(_WAKES, set()):
                event_.set()

        event.listen(session.sync_session, "after_commit", on_commit, once=True)
    wakes.add(wake)


async def message_id_of(db: Database, key: str) -> int | None:
    """The Telegram message id of a sent message (None until it is sent)."""
    async with db.read() as session:
        row = await session.get(ChatMessage, key)
    return None if row is None else row.telegram_message_id


async def mark_chat_active(session: AsyncSession, chat_id: int, now: datetime) -> None:
    """The user unblocked the bot (my_chat_member): messages queued from now on are sent."""
    status = await session.get(ChatStatus, chat_id)
    if status is None:
        status = ChatStatus(chat_id=chat_id, updated_at=now)
    status.state, status.blocked_at, status.updated_at = ACTIVE, None, now
    session.add(status)


async def queue_depth(db: Database) -> dict[int, int]:
    """Messages not yet sent, per lane, as any replica sees them in the database."""
    statement = (
        select(ChatMessage.lane, func.count())
        .where(col(ChatMessage.state).in_(PENDING))
        .group_by(col(ChatMessage.lane))
    )
    async with db.read() as session:
        found = dict((await session.exec(statement)).all())
    return {int(lane): int(found.get(lane, 0)) for lane in Lane}
