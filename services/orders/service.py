"""The orders service: routing, offers and handover, as one consumer group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.catalog.public import rebuild
from services.orders.dispatch import Routing
from services.orders.handlers import orders_batch_handlers, orders_handlers
from shared.runtime import Runtime, running


@asynccontextmanager
async def serve_orders(runtime: Runtime) -> AsyncIterator[str]:
    """Consume the orders streams while the block runs."""
    indexed = await rebuild(runtime.db, runtime.redis)  # the geo index is a cache of the table
    routing = Routing.from_settings(runtime.settings)
    consumer = runtime.consumer(
        "orders",
        orders_handlers(runtime.redis, routing, runtime.pickup_key()),
        batch_handlers=orders_batch_handlers(runtime.redis, routing),
    )
    async with running(consumer.run):
        yield f"{indexed} dealers indexed; offers time out after {routing.offer_timeout}"
