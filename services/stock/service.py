"""The stock service process: rebuild the availability view, then consume the stock stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.stock.handlers import lock_batch, stock_batch_handlers, stock_handlers
from services.stock.view import rebuild
from shared.runtime import Runtime, running


@asynccontextmanager
async def serve_stock(runtime: Runtime) -> AsyncIterator[str]:
    """Run the stock consumer group until the block exits; yields what it is doing."""
    # The view is a cache: whatever Redis holds (lost, stale, from a restored database)
    # is replaced by what the tables say before any new update lands on it.
    shown = await rebuild(runtime.db, runtime.redis)
    consumer = runtime.consumer(
        "stock", stock_handlers(runtime.redis), lock_plan=lock_batch,
        batch_handlers=stock_batch_handlers(runtime.redis),
    )  # fmt: skip
    async with running(consumer.run):
        yield f"reservations and counts from baton:stock; {shown} levels in the view"
