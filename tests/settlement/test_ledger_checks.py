"""The ledger check's results kept for HQ's console: `GET /v1/ledger/checks`, and a check run
now by `POST /v1/ledger/checks` (in the background, at most once a minute)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.settlement import check_runs
from services.settlement.routes import checks_done
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages.settlement import ReleaseEarnings
from shared.runtime import Runtime
from tests.conftest import ApiClient
from tests.settlement.support import ZONE, Books, snapshot, stages

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


async def booked(runtime: Runtime) -> FakeClock:
    clock = FakeClock(T0)
    runtime.clock = clock
    books = Books(runtime.db, clock)
    await books.apply(*stages(snapshot("o1", at=T0), T0), ReleaseEarnings(order_id="o1"))
    return clock


async def run_now(api: ApiClient) -> dict[str, Any]:
    """Start a check, wait for it, and answer what it found."""
    status, started = await api.call("POST", "/v1/ledger/checks")
    assert status == 202, started
    assert started["state"] == "running" and started["finished_at"] is None
    await checks_done()
    status, done = await api.call("GET", f"/v1/ledger/checks/{started['id']}")
    assert status == 200 and done["id"] == started["id"]
    return dict(done)


async def test_a_check_runs_in_the_background_and_its_result_is_kept(
    runtime: Runtime, api: ApiClient
) -> None:
    clock = await booked(runtime)
    status, body = await api.call("GET", "/v1/ledger/checks")
    assert status == 200 and body == {"checks": []}
    done = await run_now(api)
    assert done["state"] == "ok" and done["violation"] is None
    assert done["checked"] == {
        "transactions": 3, "entries": 12, "orders": 1, "payouts": 0,
        "summary_days": 4,  # A and B on the day of the sale and on the day of the release
    }  # fmt: skip
    assert done["started_by"].startswith("key:")  # who asked, as the audit log names them
    assert done["started_at"] == "2026-01-05T02:00:00Z" and done["duration_ms"] >= 0

    status, body = await api.call("POST", "/v1/ledger/checks")  # within a minute
    assert status == 409 and body["error"]["code"] == "too_soon", body
    clock.advance(seconds=61)
    second = await run_now(api)
    status, body = await api.call("GET", "/v1/ledger/checks")
    assert [c["id"] for c in body["checks"]] == [second["id"], done["id"]]  # newest first
    status, body = await api.call("GET", "/v1/ledger/checks?limit=1")
    assert [c["id"] for c in body["checks"]] == [second["id"]]


async def test_a_broken_ledger_is_named_in_the_result(runtime: Runtime, api: ApiClient) -> None:
    await booked(runtime)
    async with runtime.db.write() as session:
        connection = await session.connection()
        await connection.execute(text("UPDATE earnings_totals SET held = held + 5"))
    done = await run_now(api)
    assert done["state"] == "broken"
    assert done["violation"].startswith("earnings summary: dealer A's totals in CNY")


async def test_an_unknown_check_is_a_404(runtime: Runtime, api: ApiClient) -> None:
    for check_id in ("12345", "abc", "99999999999999999999"):
        status, body = await api.call("GET", f"/v1/ledger/checks/{check_id}")
        assert status == 404 and body["error"]["fields"][0]["field"] == "check_id", body


async def test_a_check_that_stops_early_says_so(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(check_runs, "check_ledger", fails)
    clock = FakeClock(T0)
    with pytest.raises(RuntimeError):
        await check_runs.run(db, clock, ZONE, "cli")
    async with db.read() as session:
        [row] = await check_runs.latest(session, 5)
    assert check_runs.state_of(row) == "interrupted"
    assert row.violation == "stopped before it ended: RuntimeError('the database went away')"
    with pytest.raises(check_runs.TooSoon):  # what the API refuses: one a minute
        await check_runs.start(db, clock, "key:x", not_within=timedelta(minutes=1))
    clock.advance(minutes=1)
    assert (await check_runs.start(db, clock, "key:x", not_within=timedelta(minutes=1))).id == 2
