"""Calendar jobs (statements, reminders) on APScheduler, run only by the elected leader."""

from __future__ import annotations

import asyncio
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis

from shared.leader import LeaderLock


class ElectedScheduler:
    """An APScheduler that is paused on every replica except the leader."""

    def __init__(self, redis: Redis, *, name: str = "scheduler", ttl_ms: int = 15_000) -> None:
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.lock = LeaderLock(redis, name, ttl_ms)

    def add_job(self, func: Any, trigger: Any, **kwargs: Any) -> Any:
        """Add a job (APScheduler's ``add_job``); it runs only while this replica leads."""
        kwargs.setdefault("coalesce", True)
        kwargs.setdefault("max_instances", 1)
        return self.scheduler.add_job(func, trigger, **kwargs)

    @property
    def leading(self) -> bool:
        """True while this replica runs the jobs."""
        return self.lock.held

    async def run(self, stop: asyncio.Event) -> None:
        """Campaign for leadership and run the jobs while leading, until ``stop``."""
        self.scheduler.start(paused=True)
        try:
            await self.lock.run(stop, self.scheduler.resume, self.scheduler.pause)
        finally:
            self.scheduler.shutdown(wait=False)
