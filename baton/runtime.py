"""The composition root: the clients a Baton process needs, made once and closed once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shared.bus.connection import connect
from shared.bus.embedded import EmbeddedRedis
from shared.bus.streams import Publisher
from shared.clock import Clock, SystemClock
from shared.db.engine import Database
from shared.db.migrate import check_current, upgrade
from shared.runtime import Runtime
from shared.settings import Settings

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, clock: Clock | None = None, migrate: bool = False
) -> AsyncIterator[Runtime]:
    """Start the embedded Redis if none is configured, connect, and close it all on exit.

    With ``migrate`` the schema is brought up to date; without, it must already be.
    """
    embedded: EmbeddedRedis | None = None
    redis_url = settings.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        redis_url = await embedded.astart()
        log.info("embedded Redis at %s", redis_url)
    db = Database(settings.sqlalchemy_url)
    redis = connect(redis_url)
    runtime = Runtime(
        settings=settings,
        clock=clock or SystemClock(),
        db=db,
        redis=redis,
        redis_url=redis_url,
        publisher=Publisher(redis, settings.stream_maxlen),
    )
    try:
        await redis.ping()
        if migrate:
            await upgrade(settings.sqlalchemy_url)
        else:
            await check_current(db)
        yield runtime
    finally:
        for client in runtime._readers:
            await client.aclose()
        await redis.aclose()
        await db.dispose()
        if embedded is not None:
            await embedded.astop()
