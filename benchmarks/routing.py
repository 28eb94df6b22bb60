"""The routing benchmark: what ``dispatch`` does before it reserves, as the network grows.

For each network size the bench writes that many dealers straight into the dealers table
(Core ``insert`` with many parameter sets, one transaction), the geo index (pipelined
GEOADD) and the stock view (``view.publish`` through a pipeline). Networks grow by
appending: the first dealers are the same in every size. Then, per order, inside a unit
of work whose transaction is already open (as the orders consumer's is when it routes),
it times ``candidates_for(...)`` followed by ``route(...)``. Setup is not timed.

The network is deterministic: two dealers near the centre of each of 20 cities (where the
orders' customers are) come first; the rest are scattered uniformly over a box the size
of China (20–46° N, 85–127° E), with service radii of 10–50 km. HQ's warehouse is one
more row. The baseline is one Redis round trip (PING, and a GEOSEARCH on an empty key),
measured in the same run before each size.
"""

from __future__ import annotations

import itertools
import math
import os
import platform
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, func, insert, text
from sqlmodel import col, select

from benchmarks.common import BenchError
from services.catalog.geo import GEO_KEY, MAX_RADIUS_KEY, WAREHOUSES_KEY, rebuild
from services.catalog.models import Dealer
from services.orders.dispatch import candidates_for
from services.orders.domain.facts import Channel, FactLine, OrderFacts, RoutingConfig
from services.orders.domain.routing import route
from services.orders.domain.status import Fulfilment
from services.stock.view import PREFIX, Entry, publish
from shared.bus.connection import connect
from shared.clock import SystemClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.settings import Settings

Progress = Callable[[str], None]

SEED = 20_260_101
ID_PREFIX = "bench-"
WAREHOUSE_ID = f"{ID_PREFIX}hq"
SKUS = ("PX-1", "PX-2", "PX-3", "PX-4", "PX-5")
NEAR_PER_CITY = 2
BOX = (20.0, 46.0, 85.0, 127.0)  # south, north, west, east
KM_PER_DEGREE = 111.32
CHUNK = 20_000
GEO_CHUNK = 1_000
WARMUP = 5
PINGS = 500
DEFAULT_RADIUS_KM: float = Settings.model_fields["max_service_radius_km"].default


@dataclass(frozen=True)
class City:
    """Where customers order from."""

    name: str
    region: str
    lat: float
    lon: float


CITIES = (
    City("Beijing", "beijing", 39.904, 116.407),
    City("Shanghai", "shanghai", 31.230, 121.474),
    City("Guangzhou", "guangdong", 23.129, 113.264),
    City("Shenzhen", "guangdong", 22.543, 114.058),
    City("Chengdu", "sichuan", 30.657, 104.066),
    City("Chongqing", "chongqing", 29.563, 106.551),
    City("Wuhan", "hubei", 30.593, 114.305),
    City("Xi'an", "shaanxi", 34.341, 108.940),
    City("Hangzhou", "zhejiang", 30.274, 120.155),
    City("Nanjing", "jiangsu", 32.060, 118.797),
    City("Tianjin", "tianjin", 39.343, 117.362),
    City("Shenyang", "liaoning", 41.806, 123.432),
    City("Harbin", "heilongjiang", 45.803, 126.535),
    City("Kunming", "yunnan", 25.038, 102.718),
    City("Changsha", "hunan", 28.228, 112.939),
    City("Zhengzhou", "henan", 34.747, 113.625),
    City("Jinan", "shandong", 36.651, 117.120),
    City("Xiamen", "fujian", 24.480, 118.089),
    City("Urumqi", "xinjiang", 43.825, 87.617),
    City("Lanzhou", "gansu", 36.061, 103.834),
)
NEAR_COUNT = NEAR_PER_CITY * len(CITIES)


@dataclass(frozen=True)
class BenchDealer:
    """One generated dealer, with its stock of each SKU."""

    id: str
    city: City
    lat: float
    lon: float
    radius_km: float
    capabilities: tuple[str, ...]
    capacity: int
    stock: dict[str, int]
    exclusive: bool = False
    paused: bool = False
    warehouse: bool = False

    def row(self, now: datetime) -> dict[str, Any]:
        """The dealers-table row."""
        return {
            "id": self.id, "name": f"Store {self.id}", "region": self.city.region,
            "city": self.city.name, "lat": self.lat, "lon": self.lon,
            "service_radius_km": self.radius_km, "capabilities": list(self.capabilities),
            "capacity": self.capacity,
            "exclusive_regions": [self.city.region] if self.exclusive else [],
            "referral_code": None, "paused": self.paused, "warehouse": self.warehouse,
            "updated_at": now,
        }  # fmt: skip


def near(rng: random.Random, city: City, max_km: float) -> tuple[float, float]:
    """A random point within ``max_km`` of a city's centre."""
    distance, bearing = max_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    lat = city.lat + distance * math.cos(bearing) / KM_PER_DEGREE
    lon = city.lon + distance * math.sin(bearing) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return lat, lon


def nearest_city(lat: float, lon: float) -> City:
    """The city closest to a point (flat approximation: it only names a region)."""
    scale = math.cos(math.radians(lat)) ** 2
    return min(CITIES, key=lambda c: (c.lat - lat) ** 2 + scale * (c.lon - lon) ** 2)


def network(*, ample: bool = False) -> Iterator[BenchDealer]:
    """Dealers without end: the near ones first, then scattered ones; always the same.

    Near dealers are never paused, do everything and have stock of every SKU, so every
    order has somewhere to go; with ``ample`` they hold stock and capacity for thousands.
    """
    rng = random.Random(SEED)
    for i in itertools.count():
        if i < NEAR_COUNT:
            city = CITIES[i % len(CITIES)]
            lat, lon = near(rng, city, 8)
            radius_km, capacity = rng.uniform(25, 50), rng.randint(50, 300)
            stock = {s: rng.randint(2, 20) for s in SKUS}
            yield BenchDealer(
                id=f"{ID_PREFIX}d{i:06d}", city=city, lat=lat, lon=lon, radius_km=radius_km,
                capabilities=("pickup", "delivery", "installation"),
                capacity=100_000 if ample else capacity,
                stock=dict.fromkeys(SKUS, 100_000) if ample else stock,
                exclusive=rng.random() < 0.1,
            )  # fmt: skip
            continue
        lat, lon = rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3])
        capabilities = rng.choice(
            [("pickup",), ("pickup", "delivery"), ("pickup", "delivery", "installation")]
        )
        yield BenchDealer(
            id=f"{ID_PREFIX}d{i:06d}", city=nearest_city(lat, lon), lat=lat, lon=lon,
            radius_km=rng.uniform(10, 50), capabilities=capabilities,
            capacity=rng.randint(10, 200), stock={s: rng.randint(0, 6) for s in SKUS},
            paused=rng.random() < 0.03,
        )  # fmt: skip


def make_network(count: int, *, ample: bool = False) -> list[BenchDealer]:
    """The first ``count`` dealers of the network."""
    return list(itertools.islice(network(ample=ample), count))


def warehouse() -> BenchDealer:
    """HQ's warehouse: ships anywhere, last resort."""
    city = CITIES[1]
    return BenchDealer(
        id=WAREHOUSE_ID, city=city, lat=city.lat + 0.3, lon=city.lon - 0.4, radius_km=5_000,
        capabilities=("delivery",), capacity=100_000, stock=dict.fromkeys(SKUS, 100_000),
        warehouse=True,
    )  # fmt: skip


def make_orders(count: int, network_size: int, pickup_share: float = 0.6) -> list[OrderFacts]:
    """``count`` orders from customers near the cities that have a near dealer."""
    rng = random.Random(SEED + 1)
    cities = CITIES[: max(1, min(len(CITIES), network_size))]
    orders = []
    for i in range(count):
        city = rng.choice(cities)
        lat, lon = near(rng, city, 15)
        skus = rng.sample(SKUS, rng.choice((1, 1, 1, 2)))
        lines = tuple(FactLine(sku, rng.choice((1, 1, 2)), Channel.BOTH) for sku in skus)
        pickup = rng.random() < pickup_share
        orders.append(
            OrderFacts(
                order_id=f"{ID_PREFIX}o{i:06d}", region=city.region, city=city.name,
                lat=lat, lon=lon,
                fulfilment=Fulfilment.PICKUP if pickup else Fulfilment.DELIVERY,
                needs_installation=rng.random() < 0.1, lines=lines,
                amount_minor=199_900 * sum(line.qty for line in lines),
            )
        )  # fmt: skip
    return orders


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q ≤ 1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


async def round_trip_s(command: Callable[[], Any], count: int = PINGS) -> float:
    """The median time of ``count`` sequential round trips of ``command``."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        await command()
        times.append(time.perf_counter() - start)
    return percentile(times, 0.5)


async def write_dealers(
    db: Database, redis: Redis, count: int, dealers: Iterator[BenchDealer], say: Progress
) -> None:
    """Write ``count`` dealers in chunks: rows (one transaction), geo index, stock view."""
    now = SystemClock().now()
    table = Dealer.__table__  # type: ignore[attr-defined]
    written = 0
    async with db.write() as session:
        connection = await session.connection()
        while written < count:
            chunk = list(itertools.islice(dealers, min(CHUNK, count - written)))
            await connection.execute(insert(table), [d.row(now) for d in chunk])
            await _index(redis, chunk)
            written += len(chunk)
            say(f"  {written:,}/{count:,} written")
    # What routing reads besides positions (the largest radius, the warehouses), as the
    # orders service builds it at start.
    await rebuild(db, redis)


async def _index(redis: Redis, dealers: Sequence[BenchDealer]) -> None:
    # Pipelined GEOADD, and the stock view through its own publish (queued on the pipeline).
    pipe = redis.pipeline(transaction=False)
    for g in range(0, len(dealers), GEO_CHUNK):
        pipe.geoadd(GEO_KEY, [v for d in dealers[g : g + GEO_CHUNK] for v in (d.lon, d.lat, d.id)])
    for d in dealers:
        await publish(pipe, d.id, [Entry(sku, 1, units, None) for sku, units in d.stock.items()])
    await pipe.execute()


async def check_empty(db: Database, redis: Redis) -> None:
    """Refuse to run over somebody's dealers."""
    async with db.read() as session:
        dealers = int((await session.exec(select(func.count()).select_from(Dealer))).one())
    if dealers or await redis.exists(GEO_KEY):
        raise BenchError(
            f"the database has {dealers} dealers or Redis has {GEO_KEY}: the bench writes a "
            "network of its own and needs a database and a Redis without one"
        )


async def remove_network(db: Database, redis: Redis) -> None:
    """Delete the bench's dealers, the geo index and the bench dealers' stock view."""
    async with db.write() as session:
        await session.exec(delete(Dealer).where(col(Dealer.id).startswith(ID_PREFIX)))
    await redis.delete(GEO_KEY, MAX_RADIUS_KEY, WAREHOUSES_KEY)
    keys: list[Any] = []
    async for key in redis.scan_iter(match=f"{PREFIX}*{{{ID_PREFIX}*}}", count=5_000):
        keys.append(key)
        if len(keys) >= 5_000:
            await redis.unlink(*keys)
            keys = []
    if keys:
        await redis.unlink(*keys)


@dataclass(frozen=True)
class SizeResult:
    """Routing timed at one network size."""

    dealers: int
    orders: int
    routed: int
    candidates: float  # per order, on average
    times_s: tuple[float, ...]
    ping_s: float
    geosearch_s: float

    @property
    def p50_ms(self) -> float:
        """Median routing time per order."""
        return percentile(self.times_s, 0.5) * 1e3

    @property
    def p99_ms(self) -> float:
        """99th percentile routing time per order."""
        return percentile(self.times_s, 0.99) * 1e3

    @property
    def mean_ms(self) -> float:
        """Mean routing time per order."""
        return sum(self.times_s) / len(self.times_s) * 1e3 if self.times_s else 0.0


@dataclass
class RoutingBenchReport:
    """Every size's result and the environment."""

    orders: int
    radius_km: float
    python: str
    redis: str
    database: str
    cpus: int
    results: list[SizeResult] = field(default_factory=list)

    @property
    def reference(self) -> SizeResult | None:
        """The smallest network: the 1.00× line."""
        return self.results[0] if self.results else None

    def ratio(self, result: SizeResult) -> float | None:
        """``result``'s median over the smallest network's."""
        ref = self.reference
        return result.p50_ms / ref.p50_ms if ref is not None and ref.p50_ms > 0 else None

    @property
    def goal_met(self) -> bool:
        """True when every size routes within 2× of the smallest network's median."""
        return all((self.ratio(r) or 0) <= 2.0 for r in self.results)

    def format(self) -> str:
        """The report as text: environment, table, verdict."""
        ref = self.reference
        lines = [
            f"Baton routing benchmark: {self.orders:,} orders per network, candidates_for + "
            f"route in an open unit of work, geo search radius {self.radius_km:g} km",
            f"environment: Python {self.python}, Redis {self.redis}, {self.database}, "
            f"{self.cpus} CPUs",
            "",
        ]
        header = (
            "dealers", "cand/order", "routed", "p50 ms", "p99 ms", "mean ms", "PING µs",
            "p50 in PINGs", f"p50 vs {ref.dealers:,}" if ref else "vs first",
        )  # fmt: skip
        rows = [
            (
                f"{r.dealers:,}", f"{r.candidates:.1f}", f"{r.routed}/{r.orders}",
                f"{r.p50_ms:.2f}", f"{r.p99_ms:.2f}", f"{r.mean_ms:.2f}",
                f"{r.ping_s * 1e6:.0f}", f"{r.p50_ms / 1e3 / r.ping_s:,.0f}" if r.ping_s else "-",
                f"{self.ratio(r) or 0:.2f}×",
            )
            for r in self.results
        ]  # fmt: skip
        lines.extend(_table(header, rows))
        if ref is not None and self.results:
            worst = max(self.results, key=lambda r: self.ratio(r) or 0)
            verdict = "met" if self.goal_met else "missed"
            lines += [
                "",
                f"goal (every size within 2× of the {ref.dealers:,}-dealer median): {verdict}; "
                f"worst {self.ratio(worst) or 0:.2f}× at {worst.dealers:,} dealers",
                f"baseline: PING {ref.ping_s * 1e6:.0f} µs, GEOSEARCH on an empty key "
                f"{ref.geosearch_s * 1e6:.0f} µs (medians of {PINGS} sequential round trips)",
            ]
        return "\n".join(lines)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    return [fmt(header), *(fmt(row) for row in rows)]


async def describe(redis: Redis, redis_url: str, db: Database) -> tuple[str, str]:
    """The Redis version and transport, and the database's name and version."""
    info: Any = await redis.info("server")
    transport = "unix socket" if redis_url.startswith("unix://") else "TCP"
    redis_text = f"{info.get('redis_version', '?')} ({transport})"
    if db.is_sqlite:
        return redis_text, f"SQLite {sqlite3.sqlite_version} file (WAL, synchronous=NORMAL)"
    async with db.engine.connect() as conn:
        version = (await conn.execute(text("SHOW server_version"))).scalar_one()
    return redis_text, f"PostgreSQL {str(version).split()[0]}"


async def time_routing(
    db: Database, redis: Redis, orders: Sequence[OrderFacts], radius_km: float, say: Progress
) -> tuple[list[float], int, int]:
    """Route each order; returns the times, how many had a target, and candidates seen."""
    config, clock = RoutingConfig(), SystemClock()
    times: list[float] = []
    routed = candidates_seen = 0
    warmup = len(orders[:WARMUP])
    for i, facts in enumerate([*orders[:WARMUP], *orders], start=-warmup):
        async with unit_of_work(db, clock) as uow:
            await uow.session.connection()  # the consumer's transaction is already open
            start = time.perf_counter()
            candidates, _ = await candidates_for(
                uow.session, uow.clock.now(), redis, facts, set(), radius_km
            )
            decision = route(facts, candidates, config)
            elapsed = time.perf_counter() - start
        if i < 0:  # a warm-up run: statements compiled and cached, connections open
            continue
        times.append(elapsed)
        routed += bool(decision.targets)
        candidates_seen += len(candidates)
        if (i + 1) % 50 == 0:
            say(f"  routed {i + 1}/{len(orders)}")
    return times, routed, candidates_seen


async def run_routing_bench(
    redis_url: str,
    database_url: str,
    *,
    dealers: Sequence[int] = (100, 10_000, 100_000),
    orders: int = 200,
    radius_km: float = DEFAULT_RADIUS_KM,
    progress: Progress | None = None,
) -> RoutingBenchReport:
    """Time routing at each network size against ``redis_url`` and the migrated database."""
    sizes = sorted(set(dealers))
    if not sizes or sizes[0] < 1 or orders < 1 or radius_km <= 0:
        raise BenchError("give one or more network sizes, one order or more and a radius > 0")

    def say(text_: str) -> None:
        if progress is not None:
            progress(text_)

    redis, db = connect(redis_url), Database(database_url)
    wrote = False
    try:
        await check_empty(db, redis)
        wrote = True
        redis_text, db_text = await describe(redis, redis_url, db)
        report = RoutingBenchReport(
            orders, radius_km, platform.python_version(), redis_text, db_text, os.cpu_count() or 1
        )
        # Generated as written, chunk by chunk: 100,000 dealers held in this process would
        # slow its garbage collector and so the routing it times.
        dealers_ahead = network()
        facts = make_orders(orders, sizes[0])
        written = 0
        for size in sizes:
            say(f"network of {size:,} dealers: writing {size - written:,} more…")
            first = [warehouse()] if written == 0 else []
            began = time.perf_counter()
            await write_dealers(
                db, redis, len(first) + size - written, itertools.chain(first, dealers_ahead), say
            )
            say(f"network of {size:,} dealers: written in {time.perf_counter() - began:.1f}s")
            written = size
            ping = await round_trip_s(redis.ping)
            geo = await round_trip_s(
                lambda: redis.geosearch(
                    f"{GEO_KEY}:bench-empty", longitude=0, latitude=0, radius=1, unit="km"
                )
            )
            say(f"network of {size:,} dealers: routing {orders:,} orders…")
            times, routed, seen = await time_routing(db, redis, facts, radius_km, say)
            result = SizeResult(size, orders, routed, seen / orders, tuple(times), ping, geo)
            report.results.append(result)
            say(
                f"network of {size:,} dealers: p50 {result.p50_ms:.2f} ms, "
                f"{result.candidates:.0f} candidates per order"
            )
        return report
    finally:
        try:
            if wrote:
                say("removing the bench network…")
                await remove_network(db, redis)
        finally:
            await redis.aclose()
            await db.dispose()
