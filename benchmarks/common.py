"""What every benchmark shares: its error, where it runs, and how its command ends."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from shared.bus.embedded import EmbeddedRedis
from shared.db.migrate import upgrade


def text_of(value: Any) -> str:
    """A Redis reply's bytes as text (anything else as ``str``)."""
    return value.decode() if isinstance(value, bytes) else str(value)


class BenchError(RuntimeError):
    """The benchmark cannot run here, or a path did not finish."""


class Report(Protocol):
    """A benchmark's result."""

    def format(self) -> str:
        """The figures as the command prints them."""
        ...


def run_bench(name: str, work: Coroutine[Any, Any, Report | str]) -> int:
    """Run ``baton bench NAME`` to the end and print its figures; returns the exit status.

    1 when the benchmark cannot run (the reason on stderr), 130 when interrupted.
    """
    try:
        report = asyncio.run(work)
    except BenchError as exc:
        print(f"baton bench {name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(report if isinstance(report, str) else report.format())
    return 0


@asynccontextmanager
async def bench_stores(
    redis_url: str | None,
    database_url: str | None,
    progress: Callable[[str], None],
    *,
    prefix: str = "baton-bench-",
    redis: bool = True,
) -> AsyncIterator[tuple[str, str]]:
    """The URLs given, or a private redis-server and a freshly migrated SQLite file
    (without ``redis``, no Redis: its URL is empty).

    Whatever is made here is removed when the block ends.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        server: EmbeddedRedis | None = None
        try:
            if redis and not redis_url:
                server = EmbeddedRedis(workdir / "redis", persistent=False)
                redis_url = await server.astart()
                progress(f"started a private redis-server at {redis_url}")
            if not database_url:
                database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
                await upgrade(database_url)
                progress(f"migrated a fresh SQLite database at {workdir / 'bench.db'}")
            yield redis_url or "", database_url
        finally:
            if server is not None:
                await server.astop()
