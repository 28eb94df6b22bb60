"""The sender's reads and writes of the chat outbox; every write is guarded by the row's state.

A guard (``state IN ('queued', 'sending')``) makes each write a no-op on a row that has
already finished, so a stale copy in memory (a second leader, a re-read racing a commit)
can never send or change a finished message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from shared.chat.models import (
    BLOCKED,
    FAILED,
    PENDING,
    QUEUED,
    SENDING,
    SENT,
    ChatMessage,
    ChatStatus,
)
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.messages.system import HqAlertRaised

CHUNK = 500  # keys per IN (...) list


@dataclass(frozen=True)
class Row:
    """A pending message without its payload."""

    key: str
    chat_id: int
    lane: int
    seq: int
    method: str
    refers_to: str | None
    attempts: int
    next_attempt_at: datetime
    state: str


def _chunks(values: Iterable[Any]) -> list[list[Any]]:
    items = list(values)
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def _pending(statement: Any) -> Any:
    return statement.where(col(ChatMessage.state).in_(PENDING))


async def pending(db: Database, after_seq: int | None = None) -> list[Row]:
    """Unfinished messages (those past ``after_seq`` if given), payloads left out."""
    table = ChatMessage.__table__  # type: ignore[attr-defined]
    names = [f.name for f in fields(Row)]
    statement = select_columns(*(table.c[name] for name in names)).where(table.c.state.in_(PENDING))
    if after_seq is not None:
        statement = statement.where(table.c.seq > after_seq)
    async with db.read() as session:
        result = await (await session.connection()).execute(statement)
        return [Row(*row) for row in result.all()]


async def originals(db: Database, keys: Iterable[str]) -> dict[str, tuple[str, int | None]]:
    """State and Telegram message id of the messages edits refer to."""
    found: dict[str, tuple[str, int | None]] = {}
    async with db.read() as session:
        for chunk in _chunks(keys):
            statement = select(
                ChatMessage.key, ChatMessage.state, ChatMessage.telegram_message_id
            ).where(col(ChatMessage.key).in_(chunk))
            for key, state, message_id in (await session.exec(statement)).all():
                found[key] = (state, message_id)
    return found


async def blocked_chats(db: Database, chat_ids: Iterable[int]) -> set[int]:
    """Those of ``chat_ids`` that blocked the bot."""
    found: set[int] = set()
    async with db.read() as session:
        for chunk in _chunks(chat_ids):
            statement = select(ChatStatus.chat_id).where(
                col(ChatStatus.chat_id).in_(chunk), col(ChatStatus.state) == BLOCKED
            )
            found.update((await session.exec(statement)).all())
    return found


async def claim(db: Database, keys: Sequence[str]) -> list[dict[str, Any] | None]:
    """Mark messages ``sending`` before their requests; their payloads (None: finished)."""
    async with db.write() as session:
        statement = (
            select(ChatMessage.key, ChatMessage.state, ChatMessage.payload)
            .where(col(ChatMessage.key).in_(keys))
            .with_for_update()
        )
        found = {key: (state, payload) for key, state, payload in (await session.exec(statement))}
        queued = [key for key, (state, _) in found.items() if state == QUEUED]
        if queued:
            await session.exec(_set(queued, state=SENDING))
    results: list[dict[str, Any] | None] = []
    for key in keys:
        state, payload = found.get(key, (None, None))
        results.append(dict(payload) if state in PENDING and payload is not None else None)
    return results


def _set(keys: Sequence[str], **values: Any) -> Any:
    return _pending(update(ChatMessage).where(col(ChatMessage.key).in_(keys)).values(**values))


async def mark_sent(
    db: Database, clock: Clock, sent: Sequence[tuple[str, int | None]]
) -> list[None]:
    """Telegram took these messages (key, Telegram message id)."""
    table = ChatMessage.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        # An IN list cannot be expanded in an executemany: spell the guard out.
        .where(table.c.key == bindparam("k"), or_(*(table.c.state == s for s in PENDING)))
        .values(state=SENT, sent_at=clock.now(), telegram_message_id=bindparam("m"))
    )
    async with db.write() as session:
        connection = await session.connection()
        await connection.execute(statement, [{"k": key, "m": message} for key, message in sent])
    return [None] * len(sent)


async def mark_queued(
    db: Database, clock: Clock, key: str, delay: float, attempts: int, error: str | None
) -> None:
    """Not sent (429, 5xx, timeout): back in the queue, not before ``delay`` seconds."""
    due = clock.now() + timedelta(seconds=delay)
    values = {"state": QUEUED, "next_attempt_at": due, "attempts": attempts}
    async with db.write() as session:
        await session.exec(_set([key], **values, last_error=_short(error)))


async def mark_failed(
    db: Database, clock: Clock, key: str, attempts: int, error: str, dependents: Sequence[str]
) -> None:
    """Given up on: ``failed``, with the edits that needed it, and one HQ alert."""
    async with unit_of_work(db, clock) as uow:
        values = {"state": FAILED, "attempts": attempts, "last_error": _short(error)}
        result = await uow.session.exec(_set([key], **values))
        for chunk in _chunks(dependents):
            note = f"the message it edits ({key}) was not sent"
            await uow.session.exec(_set(chunk, state=FAILED, last_error=note))
        if result.rowcount:
            uow.emit(
                HqAlertRaised(
                    kind="chat_message_failed",
                    text=f"chat message {key} was not delivered: {error}"[:2000],
                    subject_id=key,
                )
            )


async def mark_rows(db: Database, keys: Sequence[str], state: str, error: str) -> int:
    """Finish unsent messages without sending them (their chat is blocked, or their original).

    Returns how many were still unsent: a message another path finished first (a 403 that
    blocked its chat meanwhile) is neither changed nor counted again.
    """
    changed = 0
    async with db.write() as session:
        for chunk in _chunks(keys):
            result = await session.exec(_set(chunk, state=state, last_error=_short(error)))
            changed += result.rowcount
    return changed


async def mark_blocked(
    db: Database, clock: Clock, chat_id: int, error: str, dependents: Sequence[str]
) -> tuple[int, bool]:
    """The chat blocked the bot: its unsent messages end ``blocked``; HQ hears once.

    Returns how many messages were blocked, and whether the chat was newly blocked.
    """
    now = clock.now()
    async with unit_of_work(db, clock) as uow:
        session = uow.session
        status = await session.get(ChatStatus, chat_id, with_for_update=True)
        newly = status is None or status.state != BLOCKED
        if status is None:
            status = ChatStatus(chat_id=chat_id, updated_at=now)
        if newly:
            status.state, status.blocked_at = BLOCKED, now
        status.updated_at = now
        session.add(status)
        statement = _pending(update(ChatMessage).where(col(ChatMessage.chat_id) == chat_id)).values(
            state=BLOCKED, last_error=_short(error)
        )
        blocked = (await session.exec(statement)).rowcount
        for chunk in _chunks(dependents):
            note = "the message it edits was to a chat that blocked the bot"
            await session.exec(_set(chunk, state=FAILED, last_error=note))
        if newly:
            uow.emit(
                HqAlertRaised(
                    kind="chat_blocked",
                    text=f"chat {chat_id} blocked the bot; {blocked} messages were not sent",
                    subject_id=str(chat_id),
                )
            )
    return int(blocked), newly


async def move_chat(db: Database, old: int, new: int) -> None:
    """A group became a supergroup: its unsent messages go to the new chat id."""
    async with db.write() as session:
        statement = _pending(update(ChatMessage).where(col(ChatMessage.chat_id) == old))
        await session.exec(statement.values(chat_id=new))


def _short(error: str | None) -> str | None:
    return None if error is None else error[:500]
