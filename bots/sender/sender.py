"""ChatSender: drains the chat outbox into Telegram, one leader per bot across replicas.

Give it a Bot whose request has a connection pool at least ``SenderOptions.concurrency``
large (``HTTPXRequest(connection_pool_size=...)``; a bare ``Bot`` has one connection).

**Each message is sent once, except after a crash.** A row is marked ``sending`` in the
database before its request and ``sent`` (with Telegram's message id) after it. A sender
that dies in between leaves the row ``sending``, and the next leader sends it again: at
most one duplicate per request that was in flight (``SenderOptions.concurrency``, and at
most ``bulk_concurrency`` of a broadcast), counted in ``stats().resumed``. A timeout is the
same window while running: the request may have landed, so it is retried. Exactly once is
impossible without Telegram's help: the Bot API takes no idempotency key and cannot list a
chat's messages, so after a lost answer nothing tells "sent" from "not sent". Edits are safe
to repeat ("message is not modified" counts as done).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from redis.asyncio import Redis
from telegram import Bot

from bots.sender import calls, store
from bots.sender.batch import GroupWriter
from bots.sender.limits import SenderLimits
from bots.sender.loader import Loader
from bots.sender.schedule import Item, Scheduler
from bots.sender.settle import Settler
from bots.sender.stats import SenderStats, gauges
from shared.chat.outbox import Lane
from shared.clock import Clock
from shared.db.engine import Database
from shared.leader import LeaderLock
from shared.loops import sleep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SenderOptions:
    """How the sender works (Telegram's limits are in SenderLimits)."""

    concurrency: int = 16  # requests in flight; the Bot's connection pool must be as large
    # Bulk messages (broadcasts, statements) in flight at once: enough for Telegram's 30/s at
    # a quarter of a second a request, and the most a crash can send twice of a broadcast.
    bulk_concurrency: int = 8
    max_attempts: int = 8  # 5xx / timeouts / network errors before a message fails
    backoff_base_s: float = 0.5
    backoff_max_s: float = 60.0
    poll_ms: int = 100  # for rows other processes commit (a local submit wakes at once)
    rescan_s: float = 10.0  # a full re-read now and then (see loader.py)
    read_timeout_s: float | None = None  # None: the Bot's own request settings
    leader_ttl_ms: int = 15_000
    bot_wide_window_s: float = 1.0  # 429s from two chats this close mean the bot is limited


class ChatSender:
    """Sends queued chat messages by lane at Telegram's pace while this replica leads."""

    def __init__(
        self,
        db: Database,
        redis: Redis,
        bot: Bot,
        clock: Clock,
        *,
        limits: SenderLimits | None = None,
        options: SenderOptions | None = None,
        wake: asyncio.Event | None = None,
        name: str = "chat-sender",
    ) -> None:
        self.db = db
        self.redis = redis
        self.bot = bot
        self.clock = clock
        self.limits = limits or SenderLimits.telegram()
        self.options = options or SenderOptions()
        self.wake = wake or asyncio.Event()  # pass it to submit() to skip the poll wait
        self.name = name
        self._counters = SenderStats()
        self._sched: Scheduler | None = None
        self._kick = asyncio.Event()
        self.elected = asyncio.Event()  # set while this replica holds the leader lock
        self._halt = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}  # key -> its request in flight
        self._bulk: set[str] = set()  # those of them in the bulk lane
        self._rescan = False
        self._claim = GroupWriter(partial(store.claim, db))  # one commit for a burst
        self._settler = Settler(
            db,
            clock,
            self._counters,
            max_attempts=self.options.max_attempts,
            backoff=(self.options.backoff_base_s, self.options.backoff_max_s),
            bot_wide_window_s=self.options.bot_wide_window_s,
        )

    def stats(self) -> SenderStats:
        """Counters since start, and what is queued and in flight now."""
        snapshot = self._counters.copy()
        snapshot.in_flight = len(self._tasks)
        snapshot.leader = self._sched is not None
        depth = self._sched.depth if self._sched is not None else {}
        snapshot.queued = {int(lane): depth.get(lane, 0) for lane in Lane}
        return snapshot

    def gauges(self) -> dict[str, Callable[[], float]]:
        """Metric readers for ``shared.metrics.Metrics.gauges``."""
        return gauges(self.stats)

    async def run(self, stop: asyncio.Event) -> None:
        """Campaign for ``baton:leader:<name>`` and send while holding it, until ``stop``."""
        lock = LeaderLock(self.redis, self.name, ttl_ms=self.options.leader_ttl_ms)
        # The campaign stops only after the last request is recorded, so a successor never
        # re-sends a row this sender still has in flight.
        campaign_stop = asyncio.Event()
        campaign = asyncio.create_task(lock.run(campaign_stop, self._on_elected, self._deposed))
        try:
            while not stop.is_set():
                await _first(stop, self.elected)
                halt = self._halt
                if stop.is_set() or halt.is_set():
                    continue
                watch = asyncio.create_task(_set_when(stop, halt))
                try:
                    await self._lead(halt)
                except Exception:
                    log.exception("chat sender failed; trying again")
                    await sleep(stop, None, 1.0)
                finally:
                    watch.cancel()
        finally:
            campaign_stop.set()
            await campaign

    def _on_elected(self) -> None:
        self._halt = asyncio.Event()
        self.elected.set()

    def _deposed(self) -> None:
        self.elected.clear()
        self._halt.set()

    async def _lead(self, halt: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        sched = self._sched = Scheduler(self.limits, loop.time())
        loader = Loader(self.db, self.clock, sched, self._counters)
        loading = asyncio.create_task(self._load_loop(loader, halt))
        try:
            await self._dispatch(sched, halt)
        finally:
            # Let requests in flight finish and be recorded before anyone else may lead.
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loading
            self._sched = None

    async def _load_loop(self, loader: Loader, halt: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        last_full = -math.inf
        while not halt.is_set():
            self.wake.clear()  # before reading, so a commit meanwhile wakes the next wait
            try:
                if self._rescan or loop.time() - last_full > self.options.rescan_s:
                    self._rescan = False
                    last_full = loop.time()
                    queued = await loader.load_all(self._tasks.keys())
                else:
                    queued = await loader.load_new()
                if queued:
                    self._kick.set()
            except Exception:
                log.exception("reading the chat outbox failed; retrying")
            await sleep(halt, self.wake, self.options.poll_ms / 1000)

    async def _dispatch(self, sched: Scheduler, halt: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        swept = loop.time()
        while not halt.is_set():
            self._kick.clear()
            now = loop.time()
            while len(self._tasks) < self.options.concurrency:
                item = sched.take(now, Lane.BULK if self._bulk_full() else None)
                if item is None:
                    break
                self._start(item.key, self._send(sched, item), bulk=item.lane >= Lane.BULK)
            if now - swept > 30.0:
                sched.sweep(now)
                swept = now
            full = len(self._tasks) >= self.options.concurrency or (
                self._bulk_full() and (sched.next_lane(now) or 0) >= Lane.BULK
            )  # a finished request kicks the loop
            delay = None if full else sched.next_wake(now)
            await sleep(halt, self._kick, 1.0 if delay is None else min(delay, 1.0))

    def _bulk_full(self) -> bool:
        return len(self._bulk) >= self.options.bulk_concurrency

    def _start(self, key: str, work: Coroutine[Any, Any, None], *, bulk: bool = False) -> None:
        task = asyncio.create_task(work)
        self._tasks[key] = task
        if bulk:
            self._bulk.add(key)

        def done(finished: asyncio.Task[None]) -> None:
            if self._tasks.get(key) is finished:  # not a later send of the same key
                del self._tasks[key]
                self._bulk.discard(key)

        task.add_done_callback(done)

    async def _send(self, sched: Scheduler, item: Item) -> None:
        loop = asyncio.get_running_loop()
        try:
            payload = await self._claim(item.key)
            if payload is None:  # finished elsewhere meanwhile
                sched.drop([item.key], loop.time())
                return
            outcome = await calls.perform(
                self.bot,
                item.method,
                item.chat_id,
                payload,
                item.target_id,
                self.options.read_timeout_s,
            )
            await self._settler.settle(sched, item, outcome)
            if self._settler.moved:  # read the moved chat's rows again under its new id
                self._settler.moved, self._rescan = False, True
                self.wake.set()
        except Exception:
            # Most likely the database: forget the row here; the next read finds it again
            # (still 'queued', or 'sending' and then sent again: the at-least-once window).
            log.exception("chat message %s: recording its outcome failed", item.key)
            sched.drop([item.key], loop.time())
            self._rescan = True
        finally:
            self._kick.set()


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _set_when(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
