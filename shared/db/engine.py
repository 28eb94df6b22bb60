"""The async database: SQLite (WAL, busy timeout, BEGIN IMMEDIATE, on the loop) or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import sqlite_driver

SQLITE_BUSY_TIMEOUT_S = 30
SQLITE_POOL_SIZE = 32
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


def is_deadlock(exc: BaseException) -> bool:
    """True if ``exc`` (or what caused it) is PostgreSQL aborting a transaction in a deadlock."""
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "sqlstate", None) == DEADLOCK_DETECTED:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    path = make_url(url).database or ":memory:"
    engine = create_async_engine(
        url,
        async_creator=partial(sqlite_driver.connect, path, SQLITE_BUSY_TIMEOUT_S),
        # A connection is a file handle: keep enough that a burst of readers never closes
        # and reopens them (the default keeps 5 and closes the overflow after each use).
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_SIZE,
        pool_use_lifo=True,  # the warmest connection: its page cache holds the hot pages
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver leaves BEGIN to SQLAlchemy (isolation None), so we choose its kind below;
        # a busy database is waited for off the loop by the driver, not in SQLite's handler.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={sqlite_driver.BUSY_SLICE_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a read-then-write cannot deadlock.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder and the file of a SQLite URL, the file readable by its owner only.

    The database holds customers' names, phones and addresses: it is created with mode
    0600 (SQLite gives its -wal and -shm files the same), and one found looser is tightened.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


class Database:
    """Engines and sessions for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            ensure_sqlite_dir(url)
            self.engine = _sqlite_engine(url, immediate=True)
            self._read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.engine = create_async_engine(url, pool_size=10, max_overflow=10)
            self._read_engine = self.engine
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # Set after a commit that wrote to the outbox, so the relay in this process wakes at once.
        self.outbox_written = asyncio.Event()
        self._writer = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._reader = async_sessionmaker(
            self._read_engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction: committed if the block ends, else rolled back.

        SQLite has one writer at a time. Writers of this process queue on an asyncio lock,
        so they wait their turn without spinning in SQLite's sleeping busy handler; other
        processes are still kept out by ``BEGIN IMMEDIATE`` and the busy timeout.
        """
        async with self._write_turn(), self._writer() as session, session.begin():
            yield session

    def _write_turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self._write_lock if self._write_lock is not None else contextlib.nullcontext()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; it never blocks writers on SQLite."""
        async with self._reader() as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
