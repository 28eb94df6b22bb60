"""`baton settle close` and `baton check ledger`: the ledger from the command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from baton.runtime import open_runtime
from services.settlement import check_runs
from services.settlement.models import PayoutLine
from services.settlement.payouts import close_period, payout_csv, write_atomically
from services.settlement.periods import Period, PeriodError, parse_period
from services.settlement.statements import payout_file, send_statements
from shared.settings import Settings


def _progress(label: str) -> Callable[[int, int], None]:
    """A progress printer on stderr that rewrites one line."""

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{label}: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _writable(path: Path) -> str | None:
    """Why ``path`` cannot be written, or None."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        return f"{path} is a folder"
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"{path} cannot be written"
    return None


async def run_close(
    settings: Settings, period_text: str, out: Path | None, statements: bool
) -> int:
    """Close a period and write its payout CSV; returns the exit status.

    2 (and nothing changed) for a period that cannot be read, has not ended, or comes
    before one already closed, or an output file that cannot be written.
    """
    tz = ZoneInfo(settings.settlement_tz)
    try:
        period = parse_period(period_text, tz)
    except PeriodError as exc:
        print(f"baton: {exc}", file=sys.stderr)
        return 2
    target = out or payout_file(settings.data_dir, period)
    problem = _writable(target) if out is not None else None
    if problem is not None:
        print(f"baton: {problem}; nothing was closed", file=sys.stderr)
        return 2
    async with open_runtime(settings) as runtime:
        try:
            closed = await close_period(
                runtime.db, runtime.clock, period, "cli", _progress(f"closing {period.label}")
            )
        except PeriodError as exc:
            print(f"baton: {exc}; nothing was closed", file=sys.stderr)
            return 2
        write_atomically(target, payout_csv(closed.lines))
        queued = 0
        if statements:
            queued = await send_statements(runtime.db, runtime.clock, period, tz)
    _report(period, closed.newly_closed, closed.lines, target, queued if statements else None)
    return 0


def _report(
    period: Period, new: bool, lines: list[PayoutLine], target: Path, queued: int | None
) -> None:
    paid = sum(1 for line in lines if line.paid)
    owing = sum(1 for line in lines if line.carried)
    how = "closed" if new else "was already closed; the same batch is"
    print(
        f"{period.label} ({period.first_day}..{period.last_day}) {how}: {len(lines)} dealer "
        f"line(s), {paid} to pay, {owing} owing HQ. Payout file: {target}"
    )
    if queued is not None:
        print(f"statements: {queued} chat message(s) queued")


async def run_check(settings: Settings) -> int:
    """Check the ledger; returns 0 if sound, 1 naming the first violation. The run and its
    result are kept for HQ's console (``GET /v1/ledger/checks``)."""
    zone = ZoneInfo(settings.settlement_tz)
    async with open_runtime(settings) as runtime:
        done = await check_runs.run(
            runtime.db, runtime.clock, zone, "cli",
            lambda what, done, total: _progress(f"checking {what}")(done, total),
        )  # fmt: skip
    report = done.report
    summary = (
        f"{report.transactions} transaction(s), {report.entries} entries, "
        f"{report.orders} order(s), {report.payouts} payout line(s), "
        f"{report.summary_days} earnings summary day(s)"
    )
    if report.ok:
        print(f"ledger OK: {summary}")
        return 0
    print(f"ledger BROKEN: {report.violation}", file=sys.stderr)
    print(f"checked before stopping: {summary}", file=sys.stderr)
    return 1
