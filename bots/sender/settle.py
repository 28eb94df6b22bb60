"""What the sender does with each answer: record it, then move the scheduler on.

The database is written first and memory follows, so a crash in between leaves the
durable state ahead of nothing: the next leader reads it back as it is.
"""

from __future__ import annotations

import asyncio
import logging
import random
from functools import partial

from bots.sender import store
from bots.sender.batch import GroupWriter
from bots.sender.calls import Outcome
from bots.sender.schedule import Item, Scheduler
from bots.sender.stats import SenderStats
from shared.clock import Clock
from shared.db.engine import Database

log = logging.getLogger(__name__)


class Settler:
    """Applies outcomes for one sender; its counters are the sender's."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        counters: SenderStats,
        *,
        max_attempts: int,
        backoff: tuple[float, float],
        bot_wide_window_s: float,
    ) -> None:
        self.db = db
        self.clock = clock
        self.counters = counters
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_max = backoff
        self.bot_wide_window_s = bot_wide_window_s
        self.moved = False  # a chat changed id: its rows must be read again
        self._mark_sent = GroupWriter(partial(store.mark_sent, db, clock))
        self._last_429: tuple[float, int] | None = None

    async def settle(self, sched: Scheduler, item: Item, outcome: Outcome) -> None:
        """Record the outcome of ``item``'s request and tell the scheduler."""
        now = asyncio.get_running_loop().time
        key, error = item.key, outcome.error
        if outcome.kind == "sent":
            await self._mark_sent((key, outcome.message_id))  # one commit for a burst
            self.counters.sent += 1
            sched.sent(key, outcome.message_id, now())
        elif outcome.kind == "rate_limited":
            self.counters.rate_limited += 1
            everyone = self._bot_wide(item.chat_id, now())
            self.counters.bot_wide_holds += int(everyone)
            wait = max(outcome.retry_after, 0.1)
            await store.mark_queued(self.db, self.clock, key, wait, item.attempts, error)
            sched.hold(key, now() + wait, now(), everyone=everyone)
        elif outcome.kind == "retry" and item.attempts + 1 < self.max_attempts:
            item.attempts += 1
            delay = self._backoff(item.attempts)
            await store.mark_queued(self.db, self.clock, key, delay, item.attempts, error)
            self.counters.retried += 1
            sched.retry(key, now() + delay, now())
        elif outcome.kind == "retry":
            item.attempts += 1
            await self._fail(sched, item, f"{item.attempts} attempts, the last: {error}")
        elif outcome.kind == "blocked":
            await self._block(sched, item, error or "blocked")
        elif outcome.kind == "migrated" and outcome.new_chat_id is not None:
            await store.move_chat(self.db, item.chat_id, outcome.new_chat_id)
            sched.drop(sched.chat_keys(item.chat_id), now())
            self.moved = True
        else:
            await self._fail(sched, item, error or "failed")

    async def _fail(self, sched: Scheduler, item: Item, error: str) -> None:
        dependents = sched.dependents([item.key])
        await store.mark_failed(self.db, self.clock, item.key, item.attempts, error, dependents)
        sched.drop([item.key, *dependents], asyncio.get_running_loop().time())
        self.counters.failed += 1 + len(dependents)
        log.warning("chat message %s failed: %s", item.key, error)

    async def _block(self, sched: Scheduler, item: Item, error: str) -> None:
        keys = sched.chat_keys(item.chat_id)
        dependents = [d for d in sched.dependents(keys) if d not in set(keys)]
        blocked, newly = await store.mark_blocked(
            self.db, self.clock, item.chat_id, error, dependents
        )
        sched.drop([*keys, *dependents], asyncio.get_running_loop().time())
        self.counters.blocked += blocked
        self.counters.failed += len(dependents)
        self.counters.chats_blocked += int(newly)

    def _bot_wide(self, chat_id: int, now: float) -> bool:
        # Telegram does not say which limit a 429 is about. One chat's 429 holds back only
        # that chat; a second chat's soon after means the bot as a whole is limited.
        last, self._last_429 = self._last_429, (now, chat_id)
        if last is None or last[1] == chat_id:
            return False
        return now - last[0] < self.bot_wide_window_s

    def _backoff(self, attempts: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempts - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter: retries of a 5xx burst spread out
