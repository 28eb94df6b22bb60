"""Where a benchmark runs: the Redis and database given, or private ones made for the run."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from shared.bus.embedded import EmbeddedRedis
from shared.db.migrate import upgrade


@asynccontextmanager
async def bench_stores(
    redis_url: str | None,
    database_url: str | None,
    progress: Callable[[str], None],
    *,
    prefix: str = "baton-bench-",
) -> AsyncIterator[tuple[str, str]]:
    """The URLs given, or a private redis-server and a freshly migrated SQLite file.

    Whatever is made here is removed when the block ends.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        server: EmbeddedRedis | None = None
        try:
            if not redis_url:
                server = EmbeddedRedis(workdir / "redis", persistent=False)
                redis_url = await server.astart()
                progress(f"started a private redis-server at {redis_url}")
            if not database_url:
                database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
                await upgrade(database_url)
                progress(f"migrated a fresh SQLite database at {workdir / 'bench.db'}")
            yield redis_url, database_url
        finally:
            if server is not None:
                await server.astop()
