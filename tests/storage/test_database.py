"""Storage on SQLite and PostgreSQL: transactions, concurrent writers, time, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, select

from shared.clock import FakeClock
from shared.db.engine import Database, is_deadlock
from shared.db.migrate import upgrade
from shared.db.models import TimerRow
from shared.db.sqlite_driver import BUSY_SLICE_MS
from shared.db.uow import unit_of_work
from tests.bus.support import Deposit, TestCounter


async def test_concurrent_read_then_write_loses_no_update(db: Database, clock: FakeClock) -> None:
    async with unit_of_work(db, clock) as uow:
        uow.session.add(TestCounter(name="c", value=0))

    async def increment() -> None:
        async with unit_of_work(db, clock) as uow:
            query = select(TestCounter).where(TestCounter.name == "c").with_for_update()
            counter = (await uow.session.exec(query)).one()
            await asyncio.sleep(0)  # give the other writers every chance to interleave
            counter.value += 1
            uow.session.add(counter)

    await asyncio.gather(*(increment() for _ in range(25)))
    async with db.read() as session:
        assert (await session.get(TestCounter, "c")).value == 25


async def test_an_error_rolls_back_the_whole_unit_of_work(db: Database, clock: FakeClock) -> None:
    with pytest.raises(ValueError):
        async with unit_of_work(db, clock) as uow:
            uow.session.add(TestCounter(name="x", value=1))
            uow.emit(Deposit(account="a", amount=1))
            raise ValueError("boom")
    async with db.read() as session:
        assert await session.get(TestCounter, "x") is None
    assert not db.outbox_written.is_set()


async def test_the_inbox_accepts_a_message_id_once_per_group(
    db: Database, clock: FakeClock
) -> None:
    async with unit_of_work(db, clock) as uow:
        assert await uow.claim_inbox("orders", "m1")
        assert await uow.claim_inbox("stock", "m1")
    async with unit_of_work(db, clock) as uow:
        assert not await uow.claim_inbox("orders", "m1")


async def test_times_come_back_aware_in_utc(db: Database, clock: FakeClock) -> None:
    beijing = timezone(timedelta(hours=8))
    due = datetime(2026, 11, 11, 8, 0, tzinfo=beijing)
    async with unit_of_work(db, clock) as uow:
        uow.set_timer("t", due, Deposit(account="a", amount=1))
    async with db.read() as session:
        row = await session.get(TimerRow, "t")
    assert row is not None
    assert row.due_at == datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
    assert row.due_at.tzinfo is not None


async def test_a_naive_time_is_refused(db: Database, clock: FakeClock) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with unit_of_work(db, clock) as uow:
            uow.set_timer("t", datetime(2026, 1, 1), Deposit(account="a", amount=1))


async def test_the_migrations_match_the_models(db: Database) -> None:
    def differences(connection):
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    async with db.read() as session:
        result = await session.connection()
        journal = (await result.exec_driver_sql("PRAGMA journal_mode")).scalar()
        timeout = (await result.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert journal == "wal"
    assert timeout == BUSY_SLICE_MS  # longer waits happen off the loop (next test)


async def test_a_write_waits_for_another_process_lock_without_stalling_the_loop(
    db: Database, clock: FakeClock
) -> None:
    """Another connection holds SQLite's write lock; our writer waits, and meanwhile the
    loop runs other work (a read). Were the wait a sleep on the loop, the read could not
    finish before the lock is given up, and the writer would time out first."""
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    path = make_url(db.url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # as another process's writer would hold it

    async def write() -> None:
        async with unit_of_work(db, clock) as uow:
            uow.session.add(TestCounter(name="after the lock"))

    writing = asyncio.create_task(write())
    for _ in range(1_000):  # let the writer reach the lock (no wall clock involved)
        await asyncio.sleep(0)
    async with db.read() as session:  # other work on the loop while the writer waits
        before = (await session.exec(select(TestCounter.name))).all()
    assert "after the lock" not in before
    assert not writing.done()  # still waiting for the lock, not failed
    other.execute("COMMIT")
    other.close()
    await writing
    async with db.read() as session:
        names = (await session.exec(select(TestCounter.name))).all()
    assert "after the lock" in names


async def test_a_deadlock_the_database_breaks_is_recognised(db: Database, clock: FakeClock) -> None:
    if db.is_sqlite:
        pytest.skip(
            "SQLite has one writer at a time: it cannot deadlock (CI runs this on PostgreSQL)"
        )
    async with unit_of_work(db, clock) as uow:
        uow.session.add_all([TestCounter(name="a"), TestCounter(name="b")])
    both_hold_one = asyncio.Barrier(2)

    async def lock(first: str, then: str) -> None:
        async with unit_of_work(db, clock) as uow:
            for name in (first, then):
                query = select(TestCounter).where(TestCounter.name == name).with_for_update()
                await uow.session.exec(query)
                if name == first:
                    await both_hold_one.wait()

    results = await asyncio.gather(lock("a", "b"), lock("b", "a"), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and is_deadlock(errors[0]), results
    assert not is_deadlock(ValueError("not a deadlock"))


async def test_a_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    # It holds customers' names, phones and addresses.
    loose = tmp_path / "old.db"
    loose.touch(mode=0o644)
    loose.chmod(0o644)
    for path in (tmp_path / "new" / "baton.db", loose):
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade(url)
        database = Database(url)
        try:
            async with database.write() as session:
                await session.exec(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))  # type: ignore[call-overload]
                await session.exec(text("INSERT INTO t VALUES (1)"))  # type: ignore[call-overload]
            files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
            assert {p.name for p in files} >= {path.name, f"{path.name}-wal"}
            for file in files:
                assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
        finally:
            await database.dispose()
