"""The stock service process: it rebuilds the view at start and consumes the stock stream."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from services.stock.handlers import apply_report
from services.stock.service import serve_stock
from services.stock.view import availability
from shared.db.uow import unit_of_work
from shared.messages import Envelope
from shared.messages.stock import ReserveStock, StockLine
from shared.runtime import Runtime
from tests.bus.support import eventually


async def test_the_service_rebuilds_the_view_then_handles_commands(
    runtime: Runtime, redis: Redis
) -> None:
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        await apply_report(uow, redis, "d1", {"X": 3}, source="import")
    await redis.flushdb()  # the cache is lost
    async with serve_stock(runtime) as where:
        assert "1 levels" in where
        assert await availability(redis, ["d1"], ["X"]) == {"d1": {"X": 3}}
        order = ReserveStock(
            request_id="r1",
            order_id="o1",
            dealer_id="d1",
            lines=[StockLine(sku="X", qty=2)],
            expires_at=runtime.clock.now() + timedelta(minutes=5),
        )
        await runtime.publisher.publish("stock", Envelope.wrap(order, runtime.clock))

        async def one_left() -> bool:
            return (await availability(redis, ["d1"], ["X"]))["d1"]["X"] == 1

        await eventually(one_left)
