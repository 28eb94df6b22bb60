"""The statistics service: keeps HQ's counts of orders, offers and handovers as they happen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from services.stats.handlers import stats_batch_handlers, stats_handlers
from shared.runtime import Runtime, running


@asynccontextmanager
async def serve_stats(runtime: Runtime) -> AsyncIterator[str]:
    """Count order events while the block runs."""
    zone = ZoneInfo(runtime.settings.hq_timezone)
    consumer = runtime.consumer(
        "stats", stats_handlers(zone), batch_handlers=stats_batch_handlers(zone)
    )
    async with running(consumer.run):
        yield f"counts from baton:order-events; days in {runtime.settings.hq_timezone}"
