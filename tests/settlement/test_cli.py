"""`baton settle close` and `baton check ledger` as an operator runs them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from baton.cli import main
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages.settlement import ReleaseEarnings
from tests.settlement.support import Books, snapshot, stages
from tests.test_cli import baton

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def test_close_a_period_and_check_the_ledger(
    tmp_path: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"BATON_DATA_DIR": str(tmp_path / "var"), "BATON_REDIS_URL": redis_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        """`baton ARGS` in this process (a subprocess costs seconds of imports)."""
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("migrate")[0] == 0
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'baton.db'}"
    asyncio.run(_sell(url))

    ok = baton("check", "ledger", env=env)  # once as a real process: exit status and output
    assert ok.returncode == 0, ok.stderr
    assert "ledger OK: 3 transaction(s)" in ok.stdout and "1 order(s)" in ok.stdout

    for args, says in [
        (["--period", "last week"], "is not a period"),
        (["--period", "2099-W01"], "has not ended yet"),
        (["--period", "2026-W03", "--out", str(tmp_path / "nowhere" / "p.csv")], "does not exist"),
    ]:
        code, _, err = run("settle", "close", *args)
        assert code == 2 and says in err, err
    assert asyncio.run(_count(url, "settlement_periods")) == 0  # the refusals changed nothing

    out = tmp_path / "payouts.csv"
    code, printed, err = run("settle", "close", "--period", "2026-W03", "--out", str(out))
    assert code == 0, err
    assert "2026-W03 (2026-01-12..2026-01-18) closed: 2 dealer line(s), 2 to pay" in printed
    assert "closing 2026-W03: 2/2" in err  # progress
    first = out.read_text()
    assert first.splitlines()[1:] == [
        "2026-W03,A,CNY,49.90,0.00,49.90,49.90,0.00",
        "2026-W03,B,CNY,1849.30,0.00,1849.30,1849.30,0.00",
    ]
    code, printed, _ = run("settle", "close", "--period", "2026-W03", "--out", str(out))
    assert code == 0 and "was already closed" in printed
    assert out.read_text() == first
    assert run("settle", "close", "--period", "2026-W03")[0] == 0
    assert (tmp_path / "var" / "payouts" / "payouts-2026-W03.csv").read_text() == first
    assert run("check", "ledger")[0] == 0

    asyncio.run(_tamper(url))  # someone edits the books by hand
    code, _, err = run("check", "ledger")
    assert code == 1
    assert "ledger BROKEN: transaction order:o1:accepted does not balance" in err
    checks = asyncio.run(_checks(url))  # each run kept for HQ's console, newest first
    assert len(checks) == 3 and checks[0][:2] == ("cli", False) and checks[1][:2] == ("cli", True)
    assert "does not balance" in str(checks[0][2]) and checks[1][2] is None


async def _sell(url: str) -> None:
    db = Database(url)
    books = Books(db, FakeClock(T0))
    await books.apply(*stages(snapshot("o1", at=T0), T0), ReleaseEarnings(order_id="o1"))
    await db.dispose()


async def _count(url: str, table: str) -> int:
    db = Database(url)
    async with db.read() as session:
        connection = await session.connection()
        found = (await connection.execute(text(f"SELECT count(*) FROM {table}"))).one()
    await db.dispose()
    return int(found[0])


async def _checks(url: str) -> list[tuple[str, bool, str | None]]:
    db = Database(url)
    async with db.read() as session:
        connection = await session.connection()
        found = await connection.execute(
            text("SELECT started_by, ok, violation FROM ledger_checks ORDER BY id DESC")
        )
        rows = [(by, bool(ok), violation) for by, ok, violation in found]
    await db.dispose()
    return rows


async def _tamper(url: str) -> None:
    db = Database(url)
    async with db.write() as session:
        connection = await session.connection()
        await connection.execute(text("UPDATE ledger_entries SET amount = amount + 1 WHERE id = 2"))
    await db.dispose()


def test_help_explains_the_new_commands(capsys: pytest.CaptureFixture[str]) -> None:
    top = baton("--help", env={})
    assert "settle" in top.stdout and "check" in top.stdout
    for args, says in [(["settle", "close"], "2026-W03"), (["check"], "sum to zero")]:
        with pytest.raises(SystemExit) as done:
            main([*args, "--help"])
        assert done.value.code == 0 and says in capsys.readouterr().out
