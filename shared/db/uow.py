"""A unit of work: one write transaction, with its outgoing messages, timers and inbox mark."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.clock import Clock, utc
from shared.db.engine import Database
from shared.db.models import InboxRow, OutboxRow, TimerRow
from shared.messages import Envelope, Message

log = logging.getLogger(__name__)
_OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
_TIMERS: Table = TimerRow.__table__  # type: ignore[attr-defined]
_INBOX: Table = InboxRow.__table__  # type: ignore[attr-defined]


def _insert_for(connection: AsyncConnection) -> Callable[[Table], Any]:
    """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    return pg_insert if connection.dialect.name == "postgresql" else sqlite_insert


class UnitOfWork:
    """The session of one transaction plus what it sends when, and only if, it commits."""

    def __init__(self, session: AsyncSession, clock: Clock, caused_by: Envelope | None) -> None:
        self.session = session
        self.clock = clock
        self.caused_by = caused_by
        self._outbox: list[dict[str, object]] = []  # rows for the outbox, in emit order
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once this transaction has committed (never if it rolls back).

        For caches and views that can be rebuilt from the database: a crash between the
        commit and the action loses the action, so nothing that must happen goes here.
        """
        self._after_commit.append(action)

    def emit(self, message: Message) -> Envelope:
        """Queue ``message`` in the outbox; it is published only if this transaction commits."""
        envelope = Envelope.wrap(message, self.clock, caused_by=self.caused_by)
        self._outbox.append(
            {
                "stream": message.STREAM,
                "message_id": envelope.id,
                "envelope": envelope.encode(),
                "created_at": self.clock.now(),
            }
        )
        return envelope

    @property
    def emitted_any(self) -> bool:
        """True once a message was emitted in this transaction."""
        return bool(self._outbox)

    async def write_outbox(self) -> None:
        """Insert what was emitted, in order, in one statement (``unit_of_work`` calls this
        last, just before the commit)."""
        if self._outbox:
            connection = await self.session.connection()
            await connection.execute(insert(_OUTBOX), self._outbox)

    async def set_timer(self, key: str, due_at: datetime, message: Message) -> Envelope:
        """Arrange for ``message`` to be sent at ``due_at``; the same key replaces a timer."""
        envelope = Envelope.wrap(message, self.clock, caused_by=self.caused_by)
        connection = await self.session.connection()
        upsert = _insert_for(connection)(_TIMERS)
        row = {"due_at": utc(due_at), "stream": message.STREAM, "envelope": envelope.encode()}
        statement = upsert.on_conflict_do_update(index_elements=[_TIMERS.c.key], set_=row)
        await connection.execute(statement, {"key": key} | row)
        return envelope

    async def cancel_timer(self, key: str) -> bool:
        """Drop the timer ``key``; True if it was still waiting."""
        result = await self.session.exec(delete(TimerRow).where(col(TimerRow.key) == key))
        return bool(result.rowcount)

    async def claim_inbox(self, group: str, message_id: str) -> bool:
        """Record that ``group`` applies ``message_id``; False if it was applied before."""
        return bool(await self.claim_inbox_many(group, [message_id]))

    async def claim_inbox_many(self, group: str, message_ids: list[str]) -> set[str]:
        """Record that ``group`` applies these messages; returns the ids not applied before."""
        connection = await self.session.connection()
        table = _INBOX
        now = self.clock.now()
        # One cached statement run with many parameter sets: SQLAlchemy sends it as a single
        # multi-row INSERT, without compiling a new statement for every batch size.
        statement = (
            _insert_for(connection)(table).on_conflict_do_nothing().returning(table.c.message_id)
        )
        rows = [
            {"consumer_group": group, "message_id": m, "processed_at": now} for m in message_ids
        ]
        return set((await connection.execute(statement, rows)).scalars())


@asynccontextmanager
async def unit_of_work(
    db: Database, clock: Clock, caused_by: Envelope | None = None
) -> AsyncIterator[UnitOfWork]:
    """Run a block in one write transaction: commit on success, roll back on any error."""
    async with db.write() as session:
        uow = UnitOfWork(session, clock, caused_by)
        yield uow
        await uow.write_outbox()
    if uow.emitted_any:
        db.outbox_written.set()
    for action in uow._after_commit:
        try:
            await action()
        except Exception:
            log.exception("an after-commit action failed; the committed work stands")
