"""The orders service: routing, offers and handover, as one consumer group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apscheduler.triggers.interval import IntervalTrigger

from services.catalog.public import rebuild
from services.orders.dispatch import Routing
from services.orders.handlers import orders_batch_handlers, orders_handlers
from services.orders.retention import apply_retention
from shared.runtime import Runtime, running
from shared.scheduling import ElectedScheduler

RETENTION_JOB = "customer-details-retention"


def scheduler_for(runtime: Runtime) -> ElectedScheduler:
    """The elected scheduler with the hourly retention job (it runs on one replica)."""
    scheduler = ElectedScheduler(runtime.redis, name="orders-scheduler")
    scheduler.add_job(apply_retention, IntervalTrigger(hours=1), args=(runtime,), id=RETENTION_JOB)
    return scheduler


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
    async with running(consumer.run, scheduler_for(runtime).run):
        yield (
            f"{indexed} dealers indexed; offers time out after {routing.offer_timeout}; "
            f"customers' details cleared {runtime.settings.pii_retention_days} days after "
            "their order ends"
        )
