"""The end-to-end orders benchmark: ``POST /v1/orders`` in, ``orders.OrderOffered`` out.

A whole Baton runs in one process of its own, ``baton run api stock orders``: the HTTP
API, the stock and orders services, the outbox relay and the timer runner on one runtime
(``baton up`` without the bot and the shop webhooks); with ``replicas``, each of those
services runs as separate processes instead, as deployed. Its network is the routing
bench's (near dealers with ample stock, so every order finds one), written to the tables
before the services start; the services build the geo index and the stock view from the
tables themselves. C clients POST N orders over real HTTP; each waits until its order's
offer appears before it sends its next, so C orders are in flight at a time (a closed
loop). With ``rate`` the orders are sent open-loop instead: one every 1/rate s whatever
happens to the earlier ones, as a shop's customers would, so a slow Baton shows as latency
rather than as a slower sender. A
separate task reads ``baton:order-events`` with a blocking XREAD, standing in for the chat
bot's sender, and notes when each order's first ``OrderOffered`` appears: an order's
latency runs from just before its POST is sent to then. The baselines, measured in the
same run just before the orders: sequential PINGs on the runtime's Redis client, and the
floor of the database: plain write transactions through the same engine, each inserting as
many rows as Baton writes for one order. Baton's CPU time over the measured window (from
``/proc``), divided by the orders, is the CPU an order costs; the bench's own clients and
watcher run in the bench's process, as a shop's would, and Redis and PostgreSQL are other
processes.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert
from sqlmodel import select

from baton.runtime import open_runtime
from benchmarks.common import BenchError
from benchmarks.processes import deployed
from benchmarks.routing import (
    SKUS,
    BenchDealer,
    Progress,
    describe,
    make_network,
    make_orders,
    percentile,
    warehouse,
)
from services.catalog.models import Dealer, Product
from services.orders.domain.facts import OrderFacts
from services.orders.models import OrderRow
from services.stock.models import StockLevel
from shared.bus.connection import connect
from shared.bus.streams import FIELD, stream_key
from shared.clock import SystemClock
from shared.db.engine import Database
from shared.messages import Envelope
from shared.runtime import Runtime
from shared.settings import Settings

EVENTS = stream_key("order-events")
OFFERED = "orders.OrderOffered"
WARMUP = 3
PINGS = 1_000
UNIT_PRICE = "1999.00"
PROGRESS_EVERY_S = 2.0
# The rows Baton writes for one order on its way to the offer: the order, its offer and
# routing decision, the reservation with its line and the stock level, four outbox rows
# (status, reserve, reserved, offered), three inbox rows and the offer's two timers.
ROWS_PER_ORDER = 15
ONE_PROCESS = "api+stock+orders"  # the services of the default layout's one process
FLOOR_ORDERS = 300


def order_body(external_id: str, facts: OrderFacts) -> dict[str, Any]:
    """The shop's JSON for one generated order."""
    return {
        "external_id": external_id, "channel": "bench",
        "customer": {"id": f"c-{external_id}", "name": "Zhang Wei", "phone": "+86 138 0000 0000"},
        "fulfilment": str(facts.fulfilment),
        "address": {"region": facts.region, "city": facts.city, "line": "1 Bench Road",
                    "lat": facts.lat, "lon": facts.lon},
        "lines": [{"sku": ln.sku, "qty": ln.qty, "unit_price": UNIT_PRICE} for ln in facts.lines],
        "currency": "CNY", "payment": "prepaid", "needs_installation": facts.needs_installation,
    }  # fmt: skip


async def seed(db: Database, dealers: Sequence[BenchDealer]) -> None:
    """Products, dealers and their stock levels, in one transaction, before Baton starts."""
    products = Product.__table__  # type: ignore[attr-defined]
    levels = StockLevel.__table__  # type: ignore[attr-defined]
    dealer_table = Dealer.__table__  # type: ignore[attr-defined]
    async with db.write() as session:
        now = SystemClock().now()
        product_rows = [
            {"sku": sku, "name": f"Phone {sku}", "category": "phones", "list_price": 199_900,
             "wholesale_price": 150_000, "floor_price": 179_900, "currency": "CNY",
             "channel": "both", "needs_installation": False, "updated_at": now}
            for sku in SKUS
        ]  # fmt: skip
        level_rows = [
            {"dealer_id": d.id, "sku": sku, "on_hand": units, "reserved": 0, "version": 1,
             "reported_at": None, "updated_at": now}
            for d in dealers for sku, units in d.stock.items()
        ]  # fmt: skip
        connection = await session.connection()
        await connection.execute(insert(products), product_rows)
        await connection.execute(insert(dealer_table), [d.row(now) for d in dealers])
        await connection.execute(insert(levels), level_rows)


class OfferWatcher:
    """Reads the order events as the chat sender would; notes each order's first offer."""

    def __init__(self, reader: Redis, after: str) -> None:
        self.reader = reader
        self.after = after
        self.offered: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Future[float]] = {}

    async def offer_of(self, order_id: str) -> float:
        """When the order's first offer was seen, waiting for it if need be."""
        if order_id in self.offered:
            return self.offered[order_id]
        waiter = self._waiting.setdefault(order_id, asyncio.get_running_loop().create_future())
        return await waiter

    async def run(self, stop: asyncio.Event) -> None:
        """XREAD BLOCK until ``stop``."""
        last = self.after
        while not stop.is_set():
            reply: Any = await self.reader.xread({EVENTS: last}, count=500, block=100)
            now = time.perf_counter()
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    last = entry_id
                    envelope = Envelope.decode(fields[FIELD.encode()])
                    order_id = str(envelope.payload.get("order_id"))
                    if envelope.name == OFFERED and order_id not in self.offered:
                        self.offered[order_id] = now
                        waiter = self._waiting.pop(order_id, None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(now)


@dataclass
class OrdersBenchReport:
    """What the run measured and where."""

    orders: int
    concurrency: int
    dealers: int
    python: str
    redis: str
    database: str
    cpus: int
    pickup_share: float = 0.0
    rate_offered: float | None = None  # open loop: orders sent per second, else closed loop
    replicas: int | None = None  # processes of each service, or None: all in one
    layout: str = ""
    cpu_by_service: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_s: float = 0.0
    floor_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    answers_s: list[float] = field(default_factory=list)
    pings_s: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Orders offered per second, from the first POST sent to the last offer seen."""
        return self.orders / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms_per_order(self) -> float:
        """Process CPU milliseconds per order over the measured window."""
        return self.cpu_s * 1e3 / self.orders if self.orders else 0.0

    @property
    def floor_rate(self) -> float:
        """Orders/s the database would carry if an order were one plain transaction."""
        return FLOOR_ORDERS / self.floor_s if self.floor_s else 0.0

    @property
    def ping_rate(self) -> float:
        """Sequential PINGs per second."""
        return len(self.pings_s) / sum(self.pings_s) if self.pings_s else 0.0

    def format(self) -> str:
        """The report as text: environment, table, what the rows mean."""
        ping_p50 = percentile(self.pings_s, 0.5)
        p50 = percentile(self.latencies_s, 0.5)
        ratio = self.rate / self.ping_rate if self.ping_rate else 0.0
        floor_share = self.rate / self.floor_rate if self.floor_rate else 0.0
        if self.rate_offered is None:
            how = f"by {self.concurrency} clients (each sends its next once its order is offered)"
        else:
            how = f"open-loop at {self.rate_offered:g}/s"
        lines = [
            f"Baton orders benchmark: {self.orders:,} orders POSTed {how}, {self.dealers:,} "
            f"dealers + HQ's warehouse, {self.pickup_share:.0%} pickup",
            f"environment: Python {self.python}, Redis {self.redis}, {self.database}, "
            f"{self.cpus} CPUs; {self.layout}",
            "",
        ]
        header = ("measure", "count", "per s", "p50 ms", "p99 ms", "vs raw Redis")
        rows = [
            (
                "raw Redis: PING, sequential", f"{len(self.pings_s):,}", f"{self.ping_rate:,.0f}",
                f"{ping_p50 * 1e3:.3f}", f"{percentile(self.pings_s, 0.99) * 1e3:.3f}", "1.00×",
            ),
            (
                f"database floor: 1 txn of {ROWS_PER_ORDER} rows", f"{FLOOR_ORDERS:,}",
                f"{self.floor_rate:,.0f}", "-", "-", f"{self.floor_rate / self.ping_rate:.3f}×"
                if self.ping_rate else "-",
            ),
            (
                "POST -> OrderOffered on the stream", f"{self.orders:,}", f"{self.rate:,.1f}",
                f"{p50 * 1e3:.1f}", f"{percentile(self.latencies_s, 0.99) * 1e3:.1f}",
                f"{ratio:.4f}×",
            ),
            (
                "POST -> 201 answer", f"{len(self.answers_s):,}", "-",
                f"{percentile(self.answers_s, 0.5) * 1e3:.1f}",
                f"{percentile(self.answers_s, 0.99) * 1e3:.1f}", "-",
            ),
        ]  # fmt: skip
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
        for cells in (header, *rows):
            lines.append(
                "  ".join(
                    c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                    for i, c in enumerate(cells)
                ).rstrip()
            )
        lines += [
            "",
            f"orders/s over {self.seconds:.2f} s, from the first POST sent to the last offer "
            f"seen; the median order took {p50 / ping_p50 if ping_p50 else 0:,.0f} PING "
            "round trips from POST to offer.",
            f"CPU per order: {self.cpu_ms_per_order:.1f} ms (Baton's CPU time over the "
            f"measured window / orders); {floor_share:.1%} of the database floor's orders/s.",
        ]
        if self.cpu_by_service:
            lines.append(
                "CPU per order by service: "
                + ", ".join(
                    f"{name} {seconds * 1e3 / self.orders:.1f} ms"
                    for name, seconds in self.cpu_by_service.items()
                )
            )
        return "\n".join(lines)


class _Shop:
    """C clients, each posting an order and waiting for its offer before the next."""

    def __init__(
        self, http: aiohttp.ClientSession, urls: list[str], token: str, watcher: OfferWatcher
    ) -> None:
        self.http = http
        self.watcher = watcher
        self.urls = itertools.cycle([url + "/v1/orders" for url in urls])
        self.headers = {"Authorization": f"Bearer {token}"}
        self.sent: dict[str, float] = {}  # order id -> when its POST was sent
        self.answered: dict[str, float] = {}

    def reset(self) -> _Shop:
        """Forget what was sent so far; returns the shop."""
        self.sent.clear()
        self.answered.clear()
        return self

    async def post(self, body: dict[str, Any]) -> str:
        """POST one order; returns its id once the API has answered 201."""
        start = time.perf_counter()
        async with self.http.post(next(self.urls), json=body, headers=self.headers) as answer:
            data = await answer.json()
            if answer.status != 201:
                raise BenchError(f"POST /v1/orders answered {answer.status}: {data}")
        self.sent[data["id"]] = start
        self.answered[data["id"]] = time.perf_counter()
        return str(data["id"])

    async def post_all(self, bodies: list[dict[str, Any]], concurrency: int) -> None:
        """Post every body, ``concurrency`` at a time, each after the last one's offer."""
        queue = iter(bodies)

        async def client() -> None:
            for body in queue:
                await self.watcher.offer_of(await self.post(body))

        await asyncio.gather(*(client() for _ in range(concurrency)))

    async def post_at_rate(self, bodies: list[dict[str, Any]], rate: float) -> None:
        """Post one body every 1/``rate`` s, never waiting for the earlier ones."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        posts = []
        for i, body in enumerate(bodies):
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            posts.append(asyncio.create_task(self.post(body)))
        await asyncio.gather(*posts)


async def _wait(
    watcher: OfferWatcher,
    shop: _Shop,
    total: int,
    timeout_s: float,
    progress: Progress | None,
    tasks: Sequence[asyncio.Task[None]],
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    next_note = loop.time() + PROGRESS_EVERY_S
    while True:
        for task in tasks:
            if task.done() and task.exception() is not None:
                raise BenchError(f"the bench failed: {task.exception()!r}")
        offered = len(shop.sent.keys() & watcher.offered.keys())
        if len(shop.sent) == total and offered == total:
            return
        if loop.time() > deadline:
            raise BenchError(
                f"only {offered}/{total} orders were offered after {timeout_s:.0f}s "
                f"({len(shop.sent)} accepted over HTTP)"
            )
        if progress is not None and loop.time() >= next_note:
            progress(f"  posted {len(shop.sent):,}/{total:,}, offered {offered:,}/{total:,}")
            next_note += PROGRESS_EVERY_S
        await asyncio.sleep(0.01)


async def check_empty(db: Database) -> None:
    """Refuse a database that already holds dealers or orders (the bench writes its own)."""
    async with db.read() as session:
        dealers = int((await session.exec(select(func.count()).select_from(Dealer))).one())
        orders = int((await session.exec(select(func.count()).select_from(OrderRow))).one())
    if dealers or orders:
        raise BenchError(
            f"the database has {dealers} dealers and {orders} orders: the bench runs "
            "Baton over a network of its own and needs a migrated database without any"
        )


async def run_orders_bench(
    redis_url: str,
    database_url: str,
    *,
    orders: int = 300,
    concurrency: int = 8,
    dealers: int = 200,
    pickup_share: float = 0.6,
    rate: float | None = None,
    replicas: int | None = None,
    progress: Progress | None = None,
) -> OrdersBenchReport:
    """Run Baton on ``redis_url`` and the migrated, empty ``database_url``; POST and time."""
    if orders < 1 or concurrency < 1 or dealers < 1 or not 0 <= pickup_share <= 1:
        raise BenchError("orders, concurrency and dealers must be 1 or more, pickup share 0 to 1")
    if rate is not None and rate <= 0:
        raise BenchError("the rate must be above 0 orders a second")
    if replicas is not None and not 1 <= replicas <= 16:
        raise BenchError("replicas are 1 to 16 processes of each service")

    def say(text_: str) -> None:
        if progress is not None:
            progress(text_)

    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="baton-bench-orders-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), redis_url=redis_url, database_url=database_url,
            http_host="127.0.0.1", http_port=0, api_token=token,
        )  # fmt: skip
        async with open_runtime(settings) as runtime:
            await check_empty(runtime.db)
            network = [warehouse(), *make_network(dealers, ample=True)]
            say(f"writing {dealers:,} dealers, their stock and {len(SKUS)} products…")
            await seed(runtime.db, network)
            redis_text, db_text = await describe(runtime.redis, redis_url, runtime.db)
            facts = make_orders(WARMUP + orders, dealers, pickup_share)
            report = OrdersBenchReport(
                orders, concurrency, dealers, platform.python_version(), redis_text, db_text,
                os.cpu_count() or 1,
                pickup_share=sum(f.fulfilment == "pickup" for f in facts[WARMUP:]) / orders,
                rate_offered=rate, replicas=replicas,
            )  # fmt: skip
            say(f"database floor: {FLOOR_ORDERS} transactions of {ROWS_PER_ORDER} rows…")
            report.floor_s = await database_floor(runtime.db)
            run = secrets.token_hex(4)
            bodies = [order_body(f"{run}-{i}", f) for i, f in enumerate(facts)]
            env = {"redis_url": redis_url, "database_url": database_url, "api_token": token,
                   "pickup_key": secrets.token_urlsafe(24)}  # fmt: skip
            if replicas is None:
                baton = _one_process(Path(tmp), env, say)
            else:
                baton = _as_processes(Path(tmp), env, replicas, say)
            await _drive(runtime, baton, bodies, report, say)
        return report


@dataclass
class _Baton:
    """The Baton under test: its API URLs, and the CPU seconds it has used so far."""

    urls: list[str]
    cpu: Callable[[], float]
    where: str
    cpu_by_service: Callable[[], dict[str, float]] = dict


@asynccontextmanager
async def _one_process(workdir: Path, env: dict[str, str], say: Progress) -> AsyncIterator[_Baton]:
    say("starting Baton: one process of api, stock and orders…")
    async with deployed(workdir, env, {ONE_PROCESS: 1}) as deployment:
        yield _Baton(
            deployment.api_urls, deployment.cpu,
            "API, stock, orders, relay and timers in one process (`baton run api stock "
            "orders`); the bench's clients in a process of their own",
        )  # fmt: skip


@asynccontextmanager
async def _as_processes(
    workdir: Path, env: dict[str, str], replicas: int, say: Progress
) -> AsyncIterator[_Baton]:
    say(f"starting {replicas} process(es) each of api, stock and orders…")
    counts = {"api": replicas, "stock": replicas, "orders": replicas}
    async with deployed(workdir, env, counts) as deployment:
        yield _Baton(
            deployment.api_urls, deployment.cpu,
            f"api, stock and orders as separate processes, {replicas} of each (each with its "
            "relay and timers); the bench's clients in a process of their own",
            lambda: {name: sum(w.cpu() for w in deployment.of(name)) for name in counts},
        )  # fmt: skip


async def _drive(
    runtime: Runtime,
    baton: AbstractAsyncContextManager[_Baton],
    bodies: list[dict[str, Any]],
    report: OrdersBenchReport,
    say: Progress,
) -> None:
    reader = connect(runtime.redis_url, blocking=True)
    connections = report.concurrency if report.rate_offered is None else 512
    halt = asyncio.Event()
    newest: Any = await runtime.redis.xrevrange(EVENTS, count=1)
    watcher = OfferWatcher(reader, newest[0][0] if newest else "0-0")
    watching = asyncio.create_task(watcher.run(halt))
    try:
        async with (
            baton as under_test,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as http,
        ):
            report.layout = under_test.where
            say(f"Baton is up at {', '.join(under_test.urls)}; {WARMUP} warm-up orders…")
            client = _Shop(http, under_test.urls, runtime.settings.api_token or "", watcher)
            by_service = under_test.cpu_by_service()
            await _measure(
                runtime.redis, client, bodies, report, watcher, watching, say, under_test.cpu
            )
            after = under_test.cpu_by_service()
            report.cpu_by_service = {k: after[k] - by_service.get(k, 0.0) for k in after}
    finally:
        halt.set()
        await asyncio.gather(watching, return_exceptions=True)
        await reader.aclose()


async def _measure(
    redis: Redis,
    warm: _Shop,
    bodies: list[dict[str, Any]],
    report: OrdersBenchReport,
    watcher: OfferWatcher,
    watching: asyncio.Task[None],
    say: Progress,
    cpu: Callable[[], float],
) -> None:
    await warm.post_all(bodies[:WARMUP], 1)
    await _wait(watcher, warm, WARMUP, 60, None, [watching])
    say(f"raw Redis: {PINGS:,} sequential PINGs…")
    for _ in range(PINGS):
        start = time.perf_counter()
        await redis.ping()
        report.pings_s.append(time.perf_counter() - start)
    shop = warm.reset()
    cpu_before = cpu()
    if report.rate_offered is None:
        say(f"posting {report.orders:,} orders with {report.concurrency} clients…")
        posting = asyncio.create_task(shop.post_all(bodies[WARMUP:], report.concurrency))
    else:
        say(f"posting {report.orders:,} orders at {report.rate_offered:g} a second…")
        posting = asyncio.create_task(shop.post_at_rate(bodies[WARMUP:], report.rate_offered))
    try:
        timeout = 60 + report.orders / 2
        await _wait(watcher, shop, report.orders, timeout, say, [posting, watching])
    finally:
        posting.cancel()
        await asyncio.gather(posting, return_exceptions=True)
    report.cpu_s = cpu() - cpu_before
    first = min(shop.sent.values())
    report.seconds = max(watcher.offered[o] for o in shop.sent) - first
    report.latencies_s = [watcher.offered[o] - t for o, t in shop.sent.items()]
    report.answers_s = [shop.answered[o] - t for o, t in shop.sent.items()]
    say(f"{report.orders:,} orders offered in {report.seconds:.2f}s")


async def database_floor(db: Database) -> float:
    """Seconds for ``FLOOR_ORDERS`` plain write transactions of ``ROWS_PER_ORDER`` rows each.

    Core statements on the runtime's own engine, in a scratch table dropped afterwards: what
    the database charges for an order's rows if nothing else were done.
    """
    scratch = Table(
        "bench_floor", MetaData(), Column("id", Integer, primary_key=True),
        Column("order_no", Integer, nullable=False), Column("body", String(200), nullable=False),
    )  # fmt: skip
    async with db.engine.begin() as connection:
        await connection.run_sync(scratch.create, checkfirst=True)
    try:
        start = time.perf_counter()
        for n in range(FLOOR_ORDERS):
            rows = [{"order_no": n, "body": "x" * 120} for _ in range(ROWS_PER_ORDER)]
            async with db.write() as session:
                await (await session.connection()).execute(insert(scratch), rows)
        return time.perf_counter() - start
    finally:
        async with db.engine.begin() as connection:
            await connection.run_sync(scratch.drop)
