"""Consumers, relays and publishers wired to the test's Redis and database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.bus.consumer import Consumer, ConsumerOptions, Handler
from shared.bus.streams import Publisher
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages import Message
from tests.bus.support import Deposit, apply_deposit

FAST = ConsumerOptions(max_deliveries=3, claim_idle_ms=200, retry_base_ms=5, block_ms=50)


@pytest.fixture
def publisher(redis: Redis) -> Publisher:
    """Publishes straight to the test's Redis."""
    return Publisher(redis, maxlen=10_000)


class Running:
    """Consumers started by a test, stopped at its end."""

    def __init__(self) -> None:
        self.tasks: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def start(self, consumer: Consumer) -> asyncio.Event:
        stop = asyncio.Event()
        self.tasks.append((stop, asyncio.create_task(consumer.run(stop))))
        return stop

    async def stop_all(self) -> None:
        for stop, _ in self.tasks:
            stop.set()
        await asyncio.gather(*(task for _, task in self.tasks))


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    """Start consumers with ``running.start(consumer)``; all stop when the test ends."""
    handle = Running()
    yield handle
    await handle.stop_all()


@pytest.fixture
def make_consumer(
    redis: Redis, reader: Redis, db: Database, clock: FakeClock
) -> Callable[..., Consumer]:
    """Build a consumer of group ``g`` with fast test timings."""

    def build(
        handlers: Mapping[type[Message], Handler] | None = None,
        group: str = "g",
        **options: Any,
    ) -> Consumer:
        opts = ConsumerOptions(**{**FAST.__dict__, **options})
        return Consumer(
            group=group,
            handlers=handlers or {Deposit: apply_deposit},
            redis=redis,
            reader=reader,
            db=db,
            clock=clock,
            options=opts,
        )

    return build
