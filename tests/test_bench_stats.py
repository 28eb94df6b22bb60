"""``baton bench stats`` end to end on a small history: its kept counts agree with the rows,
and its earnings summary with its ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from benchmarks.common import BenchError
from benchmarks.stats import ZONE, run_stats_bench
from services.orders.models import OrderRow
from services.settlement import aggregate
from services.settlement.aggregate import Span, consistent_read
from services.stats.models import DealerDay, OrderDay, OrderHour
from shared.db.engine import Database


async def test_the_bench_times_every_aggregate_on_counts_that_match_the_orders(
    database_url: str, db: Database
) -> None:
    lines: list[str] = []
    report = await run_stats_bench(
        database_url, orders=3_000, dealers=200, days=31, runs=1, progress=lines.append
    )
    assert len(report.timings) == 14 and lines
    assert all(t.kept_ms and t.median >= 0 for t in report.timings)
    assert report.timings[0].raw_ms is not None and report.timings[7].raw_ms is None
    assert all(t.raw_ms is not None for t in report.timings[8:])  # earnings
    assert report.timings[8].rows == 101 and report.timings[11].rows  # a page, the regions
    assert "slowest aggregate's median" in report.format()
    assert report.ledger_rows["entries"] > 3_000 and report.kept_rows["earnings_days"] > 200

    async with consistent_read(db) as session:  # the earnings summary adds up to the ledger
        now = datetime.now(UTC)
        for since in (now - timedelta(days=30), now - timedelta(days=60)):
            span = Span(since, now + timedelta(days=1), ZONE)
            kept = await aggregate.figures(session, span)
            assert kept and kept == await aggregate.ledger_figures(session, span)

    async with db.read() as session:
        connection = await session.connection()

        async def by_status(table: Any, column: Any) -> dict[str, int]:
            rows = await connection.execute(select(table.c.status, column).group_by(table.c.status))
            return {status: int(n) for status, n in rows if n}

        orders = OrderRow.__table__  # type: ignore[attr-defined]
        raw = await by_status(orders, func.count())
        for kept in (OrderHour.__table__, OrderDay.__table__):  # type: ignore[attr-defined]
            assert await by_status(kept, func.sum(kept.c.orders)) == raw
        days = DealerDay.__table__  # type: ignore[attr-defined]
        network, dealers = [
            (await connection.execute(select(func.sum(days.c.offers)).where(where))).scalar_one()
            for where in (days.c.dealer_id == "*", days.c.dealer_id != "*")
        ]
    assert sum(raw.values()) == 3_000 and network == dealers >= 3_000

    with pytest.raises(BenchError, match="empty"):  # it never writes over a history
        await run_stats_bench(database_url, orders=10, dealers=2, days=31, runs=1)
