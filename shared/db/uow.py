"""A unit of work: one write transaction, with its outgoing messages, timers and inbox mark."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.clock import Clock, utc
from shared.db.engine import Database
from shared.db.models import InboxRow, OutboxRow, TimerRow
from shared.messages import Envelope, Message

log = logging.getLogger(__name__)
_OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
_TIMERS: Table = TimerRow.__table__  # type: ignore[attr-defined]
_INBOX: Table = InboxRow.__table__  # type: ignore[attr-defined]


def _insert_for(dialect: str) -> Callable[[Table], Any]:
    """The dialect's INSERT, which has ON CONFLICT on both SQLite and PostgreSQL."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


@functools.cache
def _timer_upsert(dialect: str) -> Any:
    """INSERT a timer, or move the one of the same key: built once per dialect."""
    upsert = _insert_for(dialect)(_TIMERS)
    new = upsert.excluded
    return upsert.on_conflict_do_update(
        index_elements=[_TIMERS.c.key],
        set_={"due_at": new.due_at, "stream": new.stream, "envelope": new.envelope},
    )


@functools.cache
def _inbox_claim(dialect: str) -> Any:
    """INSERT inbox marks, skipping those already there, returning the new ones' ids.

    Run with many parameter sets, SQLAlchemy sends it as one multi-row INSERT.
    """
    claim = _insert_for(dialect)(_INBOX).on_conflict_do_nothing()
    return claim.returning(_INBOX.c.message_id)


_CANCEL_TIMER = delete(_TIMERS).where(_TIMERS.c.key == bindparam("key"))


class UnitOfWork:
    """The session of one transaction plus what it sends when, and only if, it commits."""

    def __init__(self, session: AsyncSession, clock: Clock, caused_by: Envelope | None) -> None:
        self.session = session
        self.clock = clock
        self.caused_by = caused_by
        self._outbox: list[dict[str, object]] = []  # rows for the outbox, in emit order
        self._timers: dict[str, dict[str, object]] = {}  # timers set, by key: the last wins
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._before_commit: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once this transaction has committed (never if it rolls back).

        For caches and views that can be rebuilt from the database: a crash between the
        commit and the action loses the action, so nothing that must happen goes here.
        """
        self._after_commit.append(action)

    def before_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` in this transaction once its work is done, just before the timers
        and the outbox are written and it commits.

        For writes gathered over the whole transaction (a batch of messages): a summary
        kept beside its records is written once, its rows in one sorted order, so two
        transactions lock them in the same order and hold them only at the end.
        """
        self._before_commit.append(action)

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

    async def write_pending(self) -> None:
        """Write the timers set and, in emit order, the messages emitted: one statement
        each (``unit_of_work`` calls this last, just before the commit), after the actions
        given to ``before_commit``."""
        actions, self._before_commit = self._before_commit, []
        for action in actions:
            await action()
        if not (self._timers or self._outbox):
            return
        connection = await self.session.connection()
        if self._timers:
            timers = list(self._timers.values())
            await connection.execute(_timer_upsert(connection.dialect.name), timers)
        if self._outbox:
            await connection.execute(insert(_OUTBOX), self._outbox)

    def set_timer(self, key: str, due_at: datetime, message: Message) -> Envelope:
        """Arrange for ``message`` to be sent at ``due_at``; the same key replaces a timer.

        Written with the outbox when the transaction ends, so a transaction that sets
        many timers (a batch) writes them in one statement.
        """
        envelope = Envelope.wrap(message, self.clock, caused_by=self.caused_by)
        self._timers[key] = {
            "key": key, "due_at": utc(due_at), "stream": message.STREAM,
            "envelope": envelope.encode(),
        }  # fmt: skip
        return envelope

    async def cancel_timer(self, key: str) -> bool:
        """Drop the timer ``key``; True if it was still waiting (or set in this transaction)."""
        set_here = self._timers.pop(key, None) is not None
        connection = await self.session.connection()
        result = await connection.execute(_CANCEL_TIMER, {"key": key})
        return set_here or bool(result.rowcount)

    async def claim_inbox(self, group: str, message_id: str) -> bool:
        """Record that ``group`` applies ``message_id``; False if it was applied before."""
        return bool(await self.claim_inbox_many(group, [message_id]))

    async def claim_inbox_many(self, group: str, message_ids: list[str]) -> set[str]:
        """Record that ``group`` applies these messages; returns the ids not applied before."""
        connection = await self.session.connection()
        now = self.clock.now()
        rows = [
            {"consumer_group": group, "message_id": m, "processed_at": now} for m in message_ids
        ]
        claimed = await connection.execute(_inbox_claim(connection.dialect.name), rows)
        return set(claimed.scalars())


@asynccontextmanager
async def unit_of_work(
    db: Database, clock: Clock, caused_by: Envelope | None = None
) -> AsyncIterator[UnitOfWork]:
    """Run a block in one write transaction: commit on success, roll back on any error."""
    async with db.write() as session:
        uow = UnitOfWork(session, clock, caused_by)
        yield uow
        await uow.write_pending()
    if uow.emitted_any:
        db.outbox_written.set()
    for action in uow._after_commit:
        try:
            await action()
        except Exception:
            log.exception("an after-commit action failed; the committed work stands")
