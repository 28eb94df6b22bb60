"""The ledger check's runs, kept: when each ran, who ran it, what it checked and found.

``baton check ledger`` and ``POST /v1/ledger/checks`` both run the check through ``run``,
which writes a row when the check starts and completes it when the check ends, so HQ's
console shows the latest result, and a check still running, whichever started it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.settlement.check import Progress, Report, check_ledger
from services.settlement.models import LedgerCheck
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import unit_of_work

log = logging.getLogger(__name__)


class TooSoon(Exception):
    """Another check started too recently to start one more."""

    def __init__(self, started: LedgerCheck) -> None:
        super().__init__(f"check {started.id} started at {started.started_at:%H:%M:%S} UTC")
        self.started = started


@dataclass(frozen=True)
class Finished:
    """A check's row once it ended, and its report."""

    row: LedgerCheck
    report: Report


def state_of(row: LedgerCheck) -> str:
    """``running`` (or stopped with its process), ``ok``, ``broken``, or ``interrupted``."""
    if row.finished_at is None:
        return "running"
    if row.ok is None:
        return "interrupted"
    return "ok" if row.ok else "broken"


async def start(
    db: Database, clock: Clock, started_by: str, *, not_within: timedelta | None = None
) -> LedgerCheck:
    """Record a check starting now; raises TooSoon if ``not_within`` is given and another
    started within it (checked and written in one transaction, so two callers at once
    cannot both start one)."""
    now = clock.now()
    async with unit_of_work(db, clock) as uow:
        if not_within is not None:
            if not db.is_sqlite:  # SQLite has one writer at a time already
                connection = await uow.session.connection()
                await connection.execute(text("LOCK TABLE ledger_checks IN EXCLUSIVE MODE"))
            recent = (
                await uow.session.exec(
                    select(LedgerCheck)
                    .where(col(LedgerCheck.started_at) > now - not_within)
                    .order_by(col(LedgerCheck.started_at).desc())
                )
            ).first()
            if recent is not None:
                raise TooSoon(recent)
        row = LedgerCheck(started_at=now, started_by=started_by[:128])
        uow.session.add(row)
        await uow.session.flush()
    return row


async def run(
    db: Database,
    clock: Clock,
    zone: ZoneInfo,
    started_by: str,
    progress: Progress | None = None,
    *,
    row: LedgerCheck | None = None,
) -> Finished:
    """Run the check and record it (in ``row`` if ``start`` made it already)."""
    if row is None:
        row = await start(db, clock, started_by)
    began = time.perf_counter()
    try:
        report = await check_ledger(db, progress, zone=zone)
    except BaseException as exc:
        await _interrupted(db, clock, row, began, exc)
        raise
    done = await _finish(db, clock, row, began, report)
    return Finished(done, report)


async def _finish(
    db: Database,
    clock: Clock,
    row: LedgerCheck,
    began: float,
    report: Report | None,
    stopped: str | None = None,
) -> LedgerCheck:
    async with unit_of_work(db, clock) as uow:
        found = await uow.session.get(LedgerCheck, row.id)
        assert found is not None
        found.finished_at = clock.now()
        found.duration_ms = round((time.perf_counter() - began) * 1000)
        if report is not None:
            found.transactions, found.entries = report.transactions, report.entries
            found.orders, found.payouts = report.orders, report.payouts
            found.summary_days = report.summary_days
            found.ok, found.violation = report.ok, report.violation
        else:
            found.violation = stopped
        uow.session.add(found)
    return found


async def _interrupted(
    db: Database, clock: Clock, row: LedgerCheck, began: float, exc: BaseException
) -> None:
    """Record, if the database still answers, that the check stopped without a result."""
    try:
        await _finish(db, clock, row, began, None, f"stopped before it ended: {exc!r}"[:2000])
    except Exception:
        log.warning("ledger check %s stopped (%r) and could not be marked so", row.id, exc)


async def latest(session: AsyncSession, limit: int) -> list[LedgerCheck]:
    """The ``limit`` latest checks, newest first."""
    query = (
        select(LedgerCheck)
        .order_by(col(LedgerCheck.started_at).desc(), col(LedgerCheck.id).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def one(session: AsyncSession, check_id: int) -> LedgerCheck | None:
    """One check by its id."""
    return await session.get(LedgerCheck, check_id)
