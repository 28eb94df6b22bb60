"""What a service is given to run: settings, clock, database, Redis, metrics, and its loops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from redis.asyncio import Redis

from shared.bus.connection import connect
from shared.bus.consumer import Consumer, ConsumerOptions
from shared.bus.handling import BatchHandler, Handler, LockPlan
from shared.bus.relay import OutboxRelay, TimerRunner
from shared.bus.streams import Publisher
from shared.clock import Clock
from shared.db.engine import Database
from shared.messages import Message
from shared.metrics import Metrics
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a service is given: settings, clock, database, Redis and metrics."""

    settings: Settings
    clock: Clock
    db: Database
    redis: Redis
    redis_url: str
    publisher: Publisher
    metrics: Metrics = field(default_factory=Metrics)
    _readers: list[Redis] = field(default_factory=list)
    _pickup_key: bytes | None = None

    def pickup_key(self) -> bytes:
        """The pickup code key (see ``Settings.resolve_pickup_key``), read once."""
        if self._pickup_key is None:
            self._pickup_key = self.settings.resolve_pickup_key()
        return self._pickup_key

    def reader(self) -> Redis:
        """A new Redis client for one blocking reader; closed with the runtime."""
        client = connect(self.redis_url, blocking=True)
        self._readers.append(client)
        return client

    def consumer(
        self,
        group: str,
        handlers: dict[type[Message], Handler],
        lock_plan: LockPlan | None = None,
        batch_handlers: dict[type[Message], BatchHandler] | None = None,
    ) -> Consumer:
        """A consumer of ``group`` configured from the settings, its stats in /metrics."""
        s = self.settings
        consumer = Consumer(
            group=group,
            handlers=handlers,
            redis=self.redis,
            reader=self.reader(),
            db=self.db,
            clock=self.clock,
            options=ConsumerOptions(
                max_deliveries=s.max_deliveries,
                claim_idle_ms=s.claim_idle_ms,
                retry_base_ms=s.retry_base_ms,
                block_ms=s.block_ms,
                batch=s.consumer_batch,
            ),
            lock_plan=lock_plan,
            batch_handlers=batch_handlers,
        )
        self.metrics.add_consumer(consumer)
        return consumer

    def with_settings(self, **changes: Any) -> Runtime:
        """The same clients under changed settings (e.g. the emulator's bot token)."""
        return replace(self, settings=self.settings.model_copy(update=changes))


Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@asynccontextmanager
async def running(*loops: Loop) -> AsyncIterator[asyncio.Event]:
    """Run each ``loop(stop)`` as a task; on exit set ``stop`` and let each finish its work."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop(stop)) for loop in loops]
    try:
        yield stop
    finally:
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("a worker stopped with an error", exc_info=result)


def delivery_loops(runtime: Runtime) -> list[Loop]:
    """The outbox relay and the durable-timer runner every service process runs."""
    relay = OutboxRelay(runtime.db, runtime.publisher)
    timers = TimerRunner(runtime.db, runtime.clock)
    runtime.metrics.add_delivery(relay, timers)
    poll_outbox = runtime.settings.outbox_poll_ms
    poll_timers = runtime.settings.timer_poll_ms
    return [
        lambda stop: relay.run(stop, poll_outbox),
        lambda stop: timers.run(stop, poll_timers),
    ]
