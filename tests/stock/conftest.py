"""The stock service wired to the test's Redis and database, with helpers to drive it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlmodel import col, select

from services.stock.handlers import (
    apply_report,
    lock_batch,
    reserve_stock,
    stock_batch_handlers,
    stock_handlers,
)
from services.stock.models import StockLevel, StockReservation
from services.stock.view import availability
from shared.bus.connection import connect
from shared.bus.consumer import Consumer, ConsumerOptions
from shared.bus.handling import Context
from shared.bus.relay import OutboxRelay, TimerRunner
from shared.bus.streams import Publisher, stream_key
from shared.clock import Clock, FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.messages import REGISTRY, Envelope, Message
from shared.messages.stock import ReserveStock, StockLine
from tests.bus.support import eventually, group_drained

COMMANDS = stream_key("stock")
EVENTS = stream_key("stock-events")
FAST = ConsumerOptions(max_deliveries=3, claim_idle_ms=200, retry_base_ms=5, block_ms=50)


class Stock:
    """Stock consumers (replicas) started by a test, the relay and timers, and what they did."""

    def __init__(self, db: Database, redis: Redis, redis_url: str, clock: FakeClock) -> None:
        self.db, self.redis, self.redis_url, self.clock = db, redis, redis_url, clock
        self.publisher = Publisher(redis, maxlen=100_000)
        self.relay = OutboxRelay(db, self.publisher)
        self.timers = TimerRunner(db, clock)
        self.replicas: list[Consumer] = []
        self._tasks: list[tuple[asyncio.Event, asyncio.Task[None], Redis]] = []

    def replica(self, **options: Any) -> Consumer:
        """Start one more consumer of the group "stock", with its own blocking reader."""
        reader = connect(self.redis_url, blocking=True)
        consumer = Consumer(
            group="stock",
            handlers=stock_handlers(self.redis),
            redis=self.redis,
            reader=reader,
            db=self.db,
            clock=self.clock,
            options=replace(FAST, **options),
            lock_plan=lock_batch,
            batch_handlers=stock_batch_handlers(self.redis),  # as the service runs them
        )
        stop = asyncio.Event()
        self._tasks.append((stop, asyncio.create_task(consumer.run(stop)), reader))
        self.replicas.append(consumer)
        return consumer

    async def close(self) -> None:
        for stop, _, _ in self._tasks:
            stop.set()
        await asyncio.gather(*(task for _, task, _ in self._tasks))
        for _, _, reader in self._tasks:
            await reader.aclose()

    async def send(self, *messages: Message | Envelope) -> None:
        """Publish commands to the stock stream."""
        for m in messages:
            envelope = m if isinstance(m, Envelope) else Envelope.wrap(m, self.clock)
            await self.publisher.publish("stock", envelope)

    async def settle(self) -> None:
        """Wait until every command is handled and every emitted message is published."""
        while True:
            await eventually(lambda: group_drained(self.redis, COMMANDS, "stock"))
            if not await self.relay.publish_pending():
                return

    async def run(self, *messages: Message | Envelope) -> None:
        """Send commands and settle."""
        await self.send(*messages)
        await self.settle()

    async def expire(self, **delta: float) -> int:
        """Move the clock on, fire the due timers and settle; returns how many fired."""
        self.clock.advance(**delta)
        fired = await self.timers.fire_due()
        await self.settle()
        return fired

    async def events(self, *types: type[Message]) -> list[Any]:
        """Every event published so far (of ``types`` if given), oldest first."""
        found = []
        for _, fields in await self.redis.xrange(EVENTS):
            message = REGISTRY.resolve(Envelope.decode(fields[b"e"]))
            if not types or isinstance(message, types):
                found.append(message)
        return found

    async def level(self, dealer_id: str, sku: str) -> tuple[int, int]:
        """(on_hand, reserved) of one level; (0, 0) when there is none."""
        async with self.db.read() as session:
            row = await session.get(StockLevel, (dealer_id, sku))
        return (row.on_hand, row.reserved) if row else (0, 0)

    async def reservation(self, request_id: str) -> StockReservation | None:
        """The reservation row."""
        async with self.db.read() as session:
            return await session.get(StockReservation, request_id)

    async def assert_view_matches(self) -> None:
        """The Redis view shows on_hand − reserved of every level in the tables."""
        async with self.db.read() as session:
            rows = (await session.exec(select(StockLevel).order_by(col(StockLevel.sku)))).all()
        wanted: dict[str, dict[str, int]] = {}
        for row in rows:
            wanted.setdefault(row.dealer_id, {})[row.sku] = row.on_hand - row.reserved
        dealers = sorted(wanted)
        skus = sorted({row.sku for row in rows})
        shown = await availability(self.redis, dealers, skus)
        for dealer in dealers:
            expected = {sku: wanted[dealer].get(sku, 0) for sku in skus}
            assert shown[dealer] == expected, f"view of {dealer}"


async def reserve_now(
    db: Database, redis: Redis, clock: Clock, request_id: str, dealer_id: str, **qty: int
) -> None:
    """Run the ReserveStock handler in a unit of work of its own, as a consumer would."""
    order = ReserveStock(
        request_id=request_id,
        order_id=f"order-{request_id}",
        dealer_id=dealer_id,
        lines=[StockLine(sku=sku, qty=n) for sku, n in qty.items()],
        expires_at=clock.now() + timedelta(minutes=5),
    )
    envelope = Envelope.wrap(order, clock)
    async with unit_of_work(db, clock, caused_by=envelope) as uow:
        await reserve_stock(order, Context(envelope, uow, clock, 1), redis)


async def count_now(
    db: Database, redis: Redis, clock: Clock, dealer_id: str, **on_hand: int
) -> None:
    """Apply a dealer's count in a unit of work of its own, as the HTTP API does."""
    async with unit_of_work(db, clock) as uow:
        await apply_report(uow, redis, dealer_id, on_hand, source="api")


@pytest.fixture
async def stock(
    db: Database, redis: Redis, redis_url: str, clock: FakeClock
) -> AsyncIterator[Stock]:
    """The stock service's moving parts; replicas are started by the test."""
    handle = Stock(db, redis, redis_url, clock)
    yield handle
    await handle.close()
