"""``baton bench stats``: HQ's aggregates on a large network, kept counts against raw rows.

It writes a network's history into an empty database: ``--orders`` rows into ``orders``
(spread over ``--days`` days, ten thousand dealers by default), and the same history into
the statistics service's kept counts through its own upsert (``services.stats.store``), as
the service would have added it event by event. Each accepted order's postings go into the
ledger (its transactions and its dealers' entries: hold, void, handover with cash on
delivery, release after the return window, returns) and, through settlement's own upsert
(``services.settlement.summary``), into the kept earnings summary. Then it times each
aggregate HQ's console asks for, reading the kept counts with the routes' own queries, and,
as the baseline measured in the same run, the nearest question asked of the raw rows: the
``orders`` table (an indexed range and a GROUP BY), and for earnings the ledger's entries
summed as each dealer's earnings are (the floor of doing it without kept summaries).
"""

from __future__ import annotations

import os
import platform
import random
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select, text

from benchmarks.common import BenchError
from services.catalog.models import Dealer
from services.orders.models import OrderRow
from services.settlement import aggregate
from services.settlement.aggregate import Span, consistent_read
from services.settlement.ledger import Entry, cash_entry, dealer_entry
from services.settlement.models import (
    EarningsDay,
    EarningsMonth,
    EarningsTotal,
    LedgerEntry,
    LedgerTransaction,
)
from services.settlement.periods import local_midnight
from services.settlement.summary import Pending, entry_sums, write_rows
from services.stats.counts import ACCEPT_COLUMNS, Deltas
from services.stats.models import DealerDay, OrderDay, OrderHour
from services.stats.queries import (
    Dimension,
    network,
    orders_by_day,
    orders_by_hour,
    scorecards,
    waiting_for_hq,
)
from services.stats.store import apply
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.regions import REGIONS

Progress = Callable[[str], None]
ZONE = ZoneInfo("Asia/Shanghai")
CHANNELS = (("mall", 5), ("jd", 3), ("app", 2))
STATUSES = (
    ("completed", 55), ("cancelled", 10), ("accepted", 8), ("ready_for_pickup", 5),
    ("out_for_delivery", 4), ("returned", 4), ("offered", 3), ("received", 1),
    ("waiting_for_hq", 1), ("rejected", 1),
)  # fmt: skip
OUTCOMES = (
    ("declined_out_of_stock", 8), ("declined_too_busy", 6), ("declined_cannot_deliver", 2),
    ("declined_other", 2), ("expired", 7),
)  # fmt: skip
CHUNK = 20_000
_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_DEALERS: Table = Dealer.__table__  # type: ignore[attr-defined]
_TRANSACTIONS: Table = LedgerTransaction.__table__  # type: ignore[attr-defined]
_ENTRIES: Table = LedgerEntry.__table__  # type: ignore[attr-defined]
_KEPT: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[union-attr]
    for model in (OrderHour, OrderDay, DealerDay, EarningsDay, EarningsMonth, EarningsTotal)
)
RETURN_WINDOW = timedelta(days=7)
ACCEPTED = ("accepted", "ready_for_pickup", "out_for_delivery", "completed", "returned")


@dataclass(frozen=True)
class Timing:
    """One aggregate: the kept counts' median and worst, and the raw baseline's median."""

    name: str
    kept_ms: list[float]
    raw_ms: list[float] | None
    rows: int

    @property
    def median(self) -> float:
        """The kept counts' median time."""
        return statistics.median(self.kept_ms)

    @property
    def raw_median(self) -> float | None:
        """The raw rows' median time, when there is a baseline."""
        return statistics.median(self.raw_ms) if self.raw_ms else None


@dataclass
class StatsBenchReport:
    """Every aggregate's figures and where they were measured."""

    orders: int
    dealers: int
    days: int
    runs: int
    environment: str
    load_s: float = 0.0
    kept_rows: dict[str, int] = field(default_factory=dict)
    ledger_rows: dict[str, int] = field(default_factory=dict)
    timings: list[Timing] = field(default_factory=list)

    def format(self) -> str:
        """The report as text."""
        lines = [
            f"Baton statistics benchmark: {self.orders:,} orders over {self.days} days, "
            f"{self.dealers:,} dealers; each aggregate run {self.runs} times",
            f"environment: {self.environment}",
            f"written in {self.load_s:.0f} s; kept counts: "
            + ", ".join(f"{name} {n:,} rows" for name, n in self.kept_rows.items()),
            f"ledger: {self.ledger_rows.get('transactions', 0):,} transactions, "
            f"{self.ledger_rows.get('entries', 0):,} dealer entries",
            "",
            f"{'aggregate':<52} {'answer':>7} {'p50 ms':>8} {'max ms':>8} "
            f"{'raw p50 ms':>11} {'raw / kept':>10}",
        ]
        for t in self.timings:
            raw = t.raw_median
            lines.append(
                f"{t.name:<52} {t.rows:>7,} {t.median:>8.1f} {max(t.kept_ms):>8.1f} "
                + (f"{raw:>11.1f} {raw / t.median:>9.1f}×" if raw else f"{'-':>11} {'-':>10}")
            )
        worst = max(t.median for t in self.timings)
        lines += [
            "",
            f"slowest aggregate's median: {worst:.1f} ms (goal: under 300 ms)",
            "raw: the nearest question asked of the orders table itself (its indexed time "
            "range and a GROUP BY): the floor of answering without kept counts; for earnings, "
            "the same figures summed from the ledger's entries.",
        ]
        return "\n".join(lines)


async def run_stats_bench(
    database_url: str,
    *,
    orders: int = 1_000_000,
    dealers: int = 10_000,
    days: int = 90,
    runs: int = 5,
    seed: int = 11,
    progress: Progress | None = None,
) -> StatsBenchReport:
    """Write the history into the empty migrated ``database_url``, then time the aggregates."""
    if orders < 1 or dealers < 1 or days < 31 or runs < 1:
        raise BenchError("give 1 order or more, 1 dealer or more, 31 days or more, 1 run or more")

    def say(line: str) -> None:
        if progress is not None:
            progress(line)

    db = Database(database_url)
    try:
        await _check_empty(db)
        report = StatsBenchReport(orders, dealers, days, runs, await _describe(db))
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        start = time.perf_counter()
        await _write_history(db, orders, dealers, days, now, random.Random(seed), say)
        report.load_s = time.perf_counter() - start
        report.kept_rows = await _kept_rows(db)
        async with db.read() as session:
            report.ledger_rows = {
                "transactions": await _count(session, _TRANSACTIONS),
                "entries": await _count(session, _ENTRIES),
            }
        report.timings = await _time_all(db, now, runs, say)
        return report
    finally:
        await db.dispose()


async def _check_empty(db: Database) -> None:
    async with db.read() as session:
        for table in (_ORDERS, _DEALERS, _TRANSACTIONS, *_KEPT):
            found = await _count(session, table)
            if found:
                raise BenchError(
                    f"{table.name} holds {found} rows: give an empty, migrated database"
                )


async def _describe(db: Database) -> str:
    cpus = os.cpu_count() or 1
    if db.is_sqlite:
        return f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {cpus} CPUs"
    async with db.engine.connect() as conn:
        version = (await conn.execute(text("SHOW server_version"))).scalar_one()
    return f"Python {platform.python_version()}, PostgreSQL {str(version).split()[0]}, {cpus} CPUs"


async def _count(session: Any, table: Table) -> int:
    statement = select(func.count()).select_from(table)
    return int((await (await session.connection()).execute(statement)).scalar_one())


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


async def _write_history(
    db: Database, orders: int, dealers: int, days: int, now: datetime, rng: random.Random,
    say: Progress,
) -> None:  # fmt: skip
    """``orders`` orders over ``days`` days, in the orders table and in the kept counts."""
    regions = [r.id for r in REGIONS]
    dealer_region = [regions[i % len(regions)] for i in range(dealers)]
    first = now - timedelta(days=days)
    step = timedelta(days=days) / orders
    clock = FakeClock(now)
    async with unit_of_work(db, clock) as uow:  # the catalog's dealers: where each one is
        await (await uow.session.connection()).execute(
            insert(_DEALERS),
            [_dealer_row(i, region, now) for i, region in enumerate(dealer_region)],
        )
    ledger = Ledger(now)
    for chunk_start in range(0, orders, CHUNK):
        rows: list[dict[str, Any]] = []
        deltas = Deltas()
        for i in range(chunk_start, min(orders, chunk_start + CHUNK)):
            created = first + step * i
            dealer = rng.randrange(dealers)
            region, status = dealer_region[dealer], _pick(rng, STATUSES)
            channel, amount = _pick(rng, CHANNELS), rng.randrange(5_000, 500_000)
            rows.append(_order_row(i, created, channel, region, status, dealer, amount))
            deltas.order(created, ZONE, (channel, region, status, "CNY"), 1, amount)
            _offers(deltas, rng, dealers, dealer, created.astimezone(ZONE).date(), status)
            ledger.order(i, created, status, dealer, amount, rng, dealers)
        async with unit_of_work(db, clock) as uow:
            connection = await uow.session.connection()
            await connection.execute(insert(_ORDERS), rows)
            await apply(uow, deltas)
            await ledger.write(uow)
        done = min(orders, chunk_start + CHUNK)
        if done % 100_000 < CHUNK or done == orders:
            say(f"  written {done:,}/{orders:,} orders")


def _dealer_row(i: int, region: str, now: datetime) -> dict[str, Any]:
    return {
        "id": f"d{i:05d}", "name": f"Store {i}", "region": region, "city": region.title(),
        "lat": 30.0, "lon": 104.0, "service_radius_km": 30.0, "capabilities": ["pickup"],
        "capacity": 40, "exclusive_regions": [], "referral_code": None, "paused": False,
        "warehouse": False, "updated_at": now,
    }  # fmt: skip


def _order_row(
    i: int, created: datetime, channel: str, region: str, status: str, dealer: int, amount: int
) -> dict[str, Any]:
    return {
        "id": f"o_{i:012x}", "channel": channel, "external_id": f"E-{i}",
        "fingerprint": f"{i:016x}", "status": status, "customer_id": f"c-{i % 400_000}",
        "fulfilling_dealer_id": f"d{dealer:05d}", "originating_dealer_id": None,
        "amount": amount, "currency": "CNY", "aggregate": {}, "intake": {},
        "pickup_failures": 0, "region": region, "created_at": created, "updated_at": created,
    }  # fmt: skip


def _offers(
    deltas: Deltas, rng: random.Random, dealers: int, dealer: int, day: date, status: str
) -> None:
    """An order's offers: some declined or expired by others first, then the accepting one."""
    while rng.random() < 0.3:
        other = f"d{rng.randrange(dealers):05d}"
        deltas.dealer(other, day, "offers")
        deltas.dealer(other, day, _pick(rng, OUTCOMES))
    who = f"d{dealer:05d}"
    deltas.dealer(who, day, "offers")
    if status in ("received", "waiting_for_hq", "rejected"):
        deltas.dealer(who, day, "expired")
        return
    if status == "offered":
        return
    deltas.dealer(who, day, "accepted")
    deltas.dealer(who, day, ACCEPT_COLUMNS[min(len(ACCEPT_COLUMNS) - 1, int(rng.expovariate(0.6)))])
    if status == "returned":
        deltas.dealer(who, day, "returns")


class Ledger:
    """Each accepted order's postings as settlement books them (its dealers' side: the
    customer's, HQ's and the provider's entries are left out, since no aggregate of
    dealers' earnings reads them), gathered a chunk at a time, and the summary they add."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.next_id = 1
        self.transactions: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.summary = Pending()

    def order(
        self, i: int, created: datetime, status: str, dealer: int, amount: int,
        rng: random.Random, dealers: int,
    ) -> None:  # fmt: skip
        """Post order ``i``'s stages: held once accepted (a third of the cancelled ones were,
        and are voided), pending at handover (cash on delivery: owed to HQ), available after
        the return window, or reversed by a return."""
        voided = status == "cancelled" and rng.random() < 0.3
        if status not in ACCEPTED and not voided:
            return
        fulfil = f"d{dealer:05d}"
        origin = f"d{rng.randrange(dealers):05d}" if rng.random() < 0.3 else fulfil
        shares = [(fulfil, "fulfilment", amount * 7 // 10), (origin, "referral", amount // 20)]
        order_id, cod = f"o_{i:012x}", rng.random() < 0.2
        self._post(order_id, "accepted", "hold", created + timedelta(minutes=5),
                   [dealer_entry(d, "held", a, s) for d, s, a in shares])  # fmt: skip
        if voided:
            self._post(order_id, "voided", "void", created + timedelta(hours=1),
                       [dealer_entry(d, "held", -a, s) for d, s, a in shares])  # fmt: skip
        if status not in ("completed", "returned"):
            return
        handed = created + timedelta(hours=2)
        moves = _moved(shares, "held", "pending") + ([cash_entry(fulfil, -amount)] if cod else [])
        self._post(order_id, "handed_over", "handover", handed, moves)
        if status == "returned":
            back = [dealer_entry(d, "pending", -a, s) for d, s, a in shares]
            self._post(order_id, "return:r1", "return", handed + timedelta(days=3),
                       back + ([cash_entry(fulfil, amount)] if cod else []))  # fmt: skip
        elif handed + RETURN_WINDOW <= self.now:
            self._post(order_id, "released", "release", handed + RETURN_WINDOW,
                       _moved(shares, "pending", "available"))  # fmt: skip

    def _post(
        self, order_id: str, stage: str, kind: str, at: datetime, entries: list[Entry]
    ) -> None:
        at = min(at, self.now)  # nothing is booked after the history's end
        tx = self.next_id
        self.next_id += 1
        self.transactions.append({
            "id": tx, "key": f"order:{order_id}:{stage}", "kind": kind, "order_id": order_id,
            "currency": "CNY", "at": at, "posted_at": at, "detail": {},
        })  # fmt: skip
        self.entries += [
            {"transaction_id": tx, "account": e.account, "currency": "CNY", "amount": e.amount,
             "dealer_id": e.dealer_id, "bucket": e.bucket, "share": e.share, "sku": None}
            for e in entries
        ]  # fmt: skip
        self.summary.add(entry_sums(kind, "CNY", at.astimezone(ZONE).date(), entries))

    async def write(self, uow: Any) -> None:
        """Insert the chunk's postings, and add them to the summary as ``ledger.post`` does."""
        connection = await uow.session.connection()
        if self.transactions:
            await connection.execute(insert(_TRANSACTIONS), self.transactions)
            await connection.execute(insert(_ENTRIES), self.entries)
        await write_rows(uow, self.summary)
        self.transactions, self.entries, self.summary = [], [], Pending()


def _moved(shares: list[tuple[str, str, int]], source: Any, target: Any) -> list[Entry]:
    return [e for d, s, a in shares for e in (dealer_entry(d, source, -a, s),
                                              dealer_entry(d, target, a, s))]  # fmt: skip


async def _kept_rows(db: Database) -> dict[str, int]:
    found = {}
    async with db.read() as session:
        for table in _KEPT:
            found[table.name] = await _count(session, table)
    return found


Days = tuple[date, date]  # HQ's first and last day of a period, both included
Query = Callable[[], Awaitable[int]]  # one aggregate: how many rows it answered


def _span(days: Days) -> tuple[datetime, datetime]:
    first, last = days
    start = datetime(first.year, first.month, first.day, tzinfo=ZONE)
    end = datetime(last.year, last.month, last.day, tzinfo=ZONE) + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


async def _kept_orders(db: Database, days: Days, period: str, by: Dimension) -> int:
    async with db.read() as session:
        if period == "hour":
            hourly: Literal["status", "channel"] = "channel" if by == "channel" else "status"
            return len(await orders_by_hour(session, *_span(days), by=hourly))
        return len(await orders_by_day(session, *days, by=by, zone=ZONE))


async def _raw_orders(db: Database, days: Days, by: str) -> int:
    since, until = _span(days)
    t = _ORDERS.c
    statement = (
        select(t[by], func.count(), func.sum(t.amount))
        .where(t.created_at >= since, t.created_at < until)
        .group_by(t[by])
    )
    async with db.read() as session:
        return len((await (await session.connection()).execute(statement)).all())


async def _raw_waiting(db: Database) -> int:
    statement = select(func.count()).where(_ORDERS.c.status == "waiting_for_hq")
    async with db.read() as session:
        return int((await (await session.connection()).execute(statement)).scalar_one())


async def _kept_waiting(db: Database) -> int:
    async with db.read() as session:
        return await waiting_for_hq(session)


async def _kept_network(db: Database, days: Days) -> int:
    async with db.read() as session:
        return (await network(session, *days)).counts["offers"]


async def _kept_cards(db: Database, days: Days, after: str | None) -> int:
    async with db.read() as session:
        return len(await scorecards(session, *days, 100, after))


def _earnings_span(days: Days) -> Span:
    first, last = days
    return Span(local_midnight(first, ZONE), local_midnight(last + timedelta(days=1), ZONE), ZONE)


async def _kept_earnings(db: Database, days: Days, by: str, after: str | None = None) -> int:
    async with consistent_read(db) as session:
        if by == "region":
            return len(await aggregate.region_rows(session, _earnings_span(days)))
        start = (after, "") if after is not None else None
        page = await aggregate.dealer_page(session, _earnings_span(days), after=start, limit=101)
        return len(page)


async def _raw_earnings(db: Database, days: Days, after: str | None = None) -> int:
    """The same figures from the ledger: every dealer's (for a region), or the page's."""
    dealers = None
    if after is not None:
        dealer = _ENTRIES.c.dealer_id
        page = select(dealer).where(dealer > after).group_by(dealer).order_by(dealer).limit(101)
        async with db.read() as session:
            dealers = list((await (await session.connection()).execute(page)).scalars())
    async with consistent_read(db) as session:
        return len(await aggregate.ledger_figures(session, _earnings_span(days), dealers))


async def _time_all(db: Database, now: datetime, runs: int, say: Progress) -> list[Timing]:
    today = now.astimezone(ZONE).date()
    week, month = (today - timedelta(days=6), today), (today - timedelta(days=29), today)
    year = (today - timedelta(days=365), today)
    earlier = (today - timedelta(days=59), today - timedelta(days=30))
    this_month = (today.replace(day=1), today)  # the console's default
    p = partial
    plan: list[tuple[str, Query, Query | None]] = [
        ("orders by status per day, 7 days", p(_kept_orders, db, week, "day", "status"),
         p(_raw_orders, db, week, "status")),
        ("orders by channel per hour, 7 days", p(_kept_orders, db, week, "hour", "channel"),
         p(_raw_orders, db, week, "channel")),
        ("orders by region per day, 30 days", p(_kept_orders, db, month, "day", "region"),
         p(_raw_orders, db, month, "region")),
        ("orders by status per day, 366 days", p(_kept_orders, db, year, "day", "status"),
         p(_raw_orders, db, year, "status")),
        ("orders waiting for HQ now", p(_kept_waiting, db), p(_raw_waiting, db)),
        ("network offers, 30 days (p50, p90, rates)", p(_kept_network, db, month), None),
        ("scorecards, 30 days, first page of 100", p(_kept_cards, db, month, None), None),
        ("scorecards, 30 days, a page from the middle", p(_kept_cards, db, month, "d05000"),
         None),
        ("earnings by dealer, 30 days, first page of 100", p(_kept_earnings, db, month, "dealer"),
         p(_raw_earnings, db, month, "")),
        ("earnings by dealer, 30 days, a page from the middle",
         p(_kept_earnings, db, month, "dealer", "d05000"), p(_raw_earnings, db, month, "d05000")),
        ("earnings by region, this month", p(_kept_earnings, db, this_month, "region"),
         p(_raw_earnings, db, this_month)),
        ("earnings by region, 30 days", p(_kept_earnings, db, month, "region"),
         p(_raw_earnings, db, month)),
        ("earnings by region, the 30 days before", p(_kept_earnings, db, earlier, "region"),
         p(_raw_earnings, db, earlier)),
        ("earnings by region, 366 days", p(_kept_earnings, db, year, "region"),
         p(_raw_earnings, db, year)),
    ]  # fmt: skip
    timings = []
    for name, kept, raw in plan:
        say(f"timing {name}…")
        answer = await kept()  # once to warm the caches, as a console that is in use has them
        kept_ms = [await _timed(kept) for _ in range(runs)]
        raw_ms = None
        if raw is not None:
            await raw()
            raw_ms = [await _timed(raw) for _ in range(runs)]
        timings.append(Timing(name, kept_ms, raw_ms, answer))
    return timings


async def _timed(run: Callable[[], Awaitable[int]]) -> float:
    start = time.perf_counter()
    await run()
    return (time.perf_counter() - start) * 1000
