"""SQLite for the async engine without a thread: ``sqlite3`` called on the event loop.

SQLAlchemy's ``sqlite+aiosqlite`` dialect speaks to aiosqlite, which runs each connection
in a thread of its own and hops there and back for every call: opening a cursor, executing,
fetching and closing are four hops per statement, each a queue, a future and a wake-up of
the loop, about 0.1 ms of CPU each on a small machine: more than SQLite spends on the
statement. Here the same dialect is given (through ``async_creator``) a connection whose
coroutines call ``sqlite3`` directly and return without suspending.

That is sound because of what SQLite does on a local file in WAL mode: reads never wait
for writers, and a statement costs microseconds. The one wait is for another process's
write lock, which this connection never sleeps through on the loop: SQLite's own busy
handler waits at most ``BUSY_SLICE_MS``, and a statement refused as busy is tried again
after an ``asyncio.sleep`` until ``busy_timeout_s`` has passed. Within one process, writers
already queue on ``Database``'s asyncio lock before they begin.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Self

BUSY_SLICE_MS = 2  # the longest SQLite's own busy handler blocks the loop
_RETRY_FIRST_S = 0.002
_RETRY_MOST_S = 0.01


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class InLoopCursor:
    """An aiosqlite-shaped cursor over a ``sqlite3`` cursor."""

    def __init__(self, owner: InLoopConnection) -> None:
        self._owner = owner
        self._cursor = owner.raw.cursor()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        """As ``sqlite3.Cursor.description``."""
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        """As ``sqlite3.Cursor.rowcount``."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """As ``sqlite3.Cursor.lastrowid``."""
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        """As ``sqlite3.Cursor.arraysize``."""
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> Self:
        """Run one statement, waiting out another process's write lock off the loop."""
        await self._owner.patiently(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Self:
        """Run one statement for each of ``rows``."""
        await self._owner.patiently(self._cursor.executemany, sql, list(rows))
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows."""
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        """Every remaining row."""
        return self._cursor.fetchall()

    async def close(self) -> None:
        """Close the cursor."""
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to do for SQLite."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """Nothing to do for SQLite."""


class InLoopConnection:
    """An aiosqlite-shaped connection over a ``sqlite3`` connection, used on the loop."""

    def __init__(self, raw: sqlite3.Connection, busy_timeout_s: float) -> None:
        self.raw = raw
        self._connection: sqlite3.Connection | None = raw  # None once closed
        self.busy_timeout_s = busy_timeout_s

    async def patiently(self, call: Any, *args: Any) -> Any:
        """``call(*args)``, tried again after a sleep while another process holds the lock."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout_s
        pause = _RETRY_FIRST_S
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or loop.time() >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _RETRY_MOST_S)

    def cursor(self) -> InLoopCursor:
        """A new cursor; SQLAlchemy enters it with ``async with``."""
        return InLoopCursor(self)

    @property
    def isolation_level(self) -> str | None:
        """As ``sqlite3.Connection.isolation_level`` (None: SQLAlchemy issues BEGIN)."""
        return self.raw.isolation_level

    async def commit(self) -> None:
        """Commit, waiting out a busy database as ``execute`` does."""
        await self.patiently(self.raw.commit)

    async def rollback(self) -> None:
        """Roll back."""
        self.raw.rollback()

    async def close(self) -> None:
        """Close the connection."""
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        self._connection = None
        self.raw.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        """As ``sqlite3.Connection.create_function``."""
        self.raw.create_function(*args, **kwargs)


async def connect(path: str, busy_timeout_s: float) -> InLoopConnection:
    """Open ``path`` for use on this loop; BEGIN is left to SQLAlchemy (isolation None)."""
    raw = sqlite3.connect(
        path, timeout=BUSY_SLICE_MS / 1000, isolation_level=None, check_same_thread=False
    )
    return InLoopConnection(raw, busy_timeout_s)
