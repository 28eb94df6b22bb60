"""An orders consumer in its own process that hangs inside StockReserved (for SIGKILL tests).

Usage: python -m tests.orders.worker REDIS_URL DATABASE_URL MARKER_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from baton.runtime import open_runtime
from services.orders.dispatch import Routing
from services.orders.handlers import orders_handlers
from shared.bus.handling import Context
from shared.messages.stock import StockReserved
from shared.settings import Settings


async def main(redis_url: str, database_url: str, marker: Path) -> None:
    settings = Settings(
        redis_url=redis_url, database_url=database_url, block_ms=100, pickup_key="k" * 32
    )
    async with open_runtime(settings) as runtime:
        handlers = orders_handlers(
            runtime.redis, Routing.from_settings(settings), runtime.pickup_key()
        )
        reserved = handlers[StockReserved]

        async def hang_after_reserving(msg: StockReserved, ctx: Context) -> None:
            await reserved(msg, ctx)  # the offer is made in this transaction, never committed
            marker.write_text("in handler")
            await asyncio.Event().wait()

        handlers[StockReserved] = hang_after_reserving
        consumer = runtime.consumer("orders", handlers)
        await consumer.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
