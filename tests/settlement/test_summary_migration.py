"""An upgraded database's earnings summary is filled from the ledger already posted, to the
same rows as the postings themselves write."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from services.settlement.check import check_ledger
from services.settlement.summary import DAYS, MONTHS, TOTALS
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.migrate import alembic_config, upgrade_sync
from tests.conftest import TEST_DATABASE_URL
from tests.settlement.support import ZONE
from tests.settlement.test_network_earnings import T0, history

pytestmark = pytest.mark.db  # run again on PostgreSQL, in a database of its own


@contextmanager
def scratch_database(tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a new PostgreSQL database beside the tests'."""
    if not TEST_DATABASE_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'upgraded.db'}"
        return
    name = f"baton_upgrade_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(TEST_DATABASE_URL or "", isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _book(url: str) -> list[Any]:
    db = Database(url)
    try:
        await history(db, FakeClock(T0))
        return await _summary(db)
    finally:
        await db.dispose()


async def _summary(db: Database) -> list[Any]:
    async with db.read() as session:
        connection = await session.connection()
        days, months, totals = [
            (await connection.execute(select(t).order_by(*t.primary_key))).all()
            for t in (DAYS, MONTHS, TOTALS)
        ]
    return [tuple(row) for row in (*days, *months, *totals)]


async def _filled(url: str) -> tuple[list[Any], str | None]:
    db = Database(url)
    try:
        report = await check_ledger(db, zone=ZONE)
        return await _summary(db), report.violation
    finally:
        await db.dispose()


def test_an_upgraded_database_gets_its_summary_from_its_ledger(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        upgrade_sync(url)
        written = asyncio.run(_book(url))  # as the postings wrote it
        assert len(written) > 20
        command.downgrade(alembic_config(url), "0014")  # a database from before the summary
        upgrade_sync(url)
        filled, violation = asyncio.run(_filled(url))
    assert violation is None
    assert filled == written
