"""Reads the outbox into the scheduler: everything at election, then only what is new.

New rows are found by their ``seq`` past the highest one seen: on SQLite writers are
serialised, so ``seq`` grows in commit order and nothing is missed. On PostgreSQL two
transactions may commit out of ``seq`` order, so the read looks back a little further, and
a full read every ``rescan_s`` catches any straggler and forgets rows finished elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from bots.sender import store
from bots.sender.schedule import Item, Scheduler
from bots.sender.stats import SenderStats
from shared.chat.models import BLOCKED, FAILED, PENDING, SENDING, SENT
from shared.clock import Clock
from shared.db.engine import Database

LOOKBACK = 256  # seq numbers re-read on PostgreSQL, for transactions that committed late


class Loader:
    """Brings unfinished rows into one leadership's scheduler."""

    def __init__(self, db: Database, clock: Clock, sched: Scheduler, stats: SenderStats) -> None:
        self.db = db
        self.clock = clock
        self.sched = sched
        self.stats = stats
        self.watermark: int | None = None  # the highest seq read; None before the first read

    async def load_new(self) -> int:
        """Queue rows committed since the last read; returns how many."""
        if self.watermark is None:
            return await self.load_all(())
        lookback = 0 if self.db.is_sqlite else LOOKBACK
        return await self._queue(await store.pending(self.db, self.watermark - lookback))

    async def load_all(self, in_flight: Collection[str]) -> int:
        """Read every unfinished row: queue the new ones, forget those finished elsewhere."""
        first = self.watermark is None
        rows = await store.pending(self.db)
        live = {row.key for row in rows}
        gone = [k for k in self.sched.items if k not in live and k not in in_flight]
        self.sched.drop(gone, asyncio.get_running_loop().time())
        if first:
            # Left 'sending' by a sender that died mid-request: sent again, perhaps twice.
            self.stats.resumed += sum(row.state == SENDING for row in rows)
        return await self._queue(rows)

    async def _queue(self, rows: list[store.Row]) -> int:
        seqs = [row.seq for row in rows] + ([self.watermark] if self.watermark else [])
        self.watermark = max(seqs, default=0)
        new = [row for row in rows if row.key not in self.sched.items]
        blocked = await store.blocked_chats(self.db, {r.chat_id for r in new}) if new else set()
        if blocked:
            keys = [row.key for row in new if row.chat_id in blocked]
            note = "the chat has blocked the bot"
            self.stats.blocked += await store.mark_rows(self.db, keys, BLOCKED, note)
            new = [row for row in new if row.chat_id not in blocked]
        wall = self.clock.now()
        now = asyncio.get_running_loop().time()
        items = [
            Item(
                row.key,
                row.chat_id,
                row.lane,
                row.seq,
                row.method,
                row.refers_to,
                attempts=row.attempts,
                not_before=now + max(0.0, (row.next_attempt_at - wall).total_seconds()),
            )
            for row in new
        ]
        self.sched.add(items, now)
        await self._find_originals([i for i in items if i.waiting])
        return len(items)

    async def _find_originals(self, edits: list[Item]) -> None:
        # Edits whose original is not queued here: it was sent (or given up) before.
        known = self.sched.items
        orphans = [e for e in edits if e.refers_to is not None and e.refers_to not in known]
        if not orphans:
            return
        found = await store.originals(self.db, {e.refers_to for e in orphans if e.refers_to})
        now = asyncio.get_running_loop().time()
        hopeless = []
        for edit in orphans:
            if edit.key not in self.sched.items or not edit.waiting or edit.refers_to is None:
                continue
            state, message_id = found.get(edit.refers_to, (None, None))
            if state == SENT and message_id is not None:
                self.sched.resolve(edit.key, message_id, now)
            elif state not in PENDING:  # pending: it is read on the next load, then sent
                hopeless.append(edit.key)
        if hopeless:
            doomed = hopeless + self.sched.dependents(hopeless)
            note = "the message it edits was not sent"
            self.stats.failed += await store.mark_rows(self.db, doomed, FAILED, note)
            self.sched.drop(doomed, asyncio.get_running_loop().time())
