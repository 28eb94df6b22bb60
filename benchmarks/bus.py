"""The bus benchmark: raw Redis Streams against Baton's publisher, consumer, inbox and outbox.

Every path moves the same N envelopes (a realistic order-sized payload) and reads them the
same way: XREADGROUP in batches, one XACK per batch read. Each path publishes as its system
does: a round trip per XADD for the raw baseline, taskiq and the bus message by message; 500
XADDs a round trip for pipelined streams and for the bus, as Baton's outbox relay publishes.
Messages are all published first (timed: "publish"), then the consumers start and the
draining is timed ("drain"); the rate is N over the sum.

Paths:

* ``raw Redis``: XADD ×N, then XREADGROUP COUNT batch + one XACK per read (redis-py asyncio).
* ``raw Redis, pipelined``: the same with nothing to wait on: the ceiling of Redis Streams.
* ``bus, message by message``: Publisher.publish ×N, then a Consumer whose handler adds one
  ``bench_events`` row (an ORM object) per message, one transaction and one XACK per read.
* ``bus``: published as the relay publishes, then Consumer(s): XREADGROUP on its own blocking
  connection, decode, inbox claim + a batch handler inserting the read's ``bench_events`` rows
  in one statement (as Baton's busiest handlers do), one transaction and one XACK per batch
  read. With several consumers in one event loop, and (optionally) one consumer per process,
  which is how Baton is deployed.
* ``outbox chain``: as ``bus``, but the handler also emits a message into the outbox in its
  transaction; the OutboxRelay publishes it and a second consumer group applies it (one more
  row). Timed until the second group applied all N.
* ``outbox relay only``: N outbox rows committed beforehand; time for OutboxRelay to publish
  them (pipelined XADD in batches of 500). XADD only, so it has no ratio to the baseline.

The bench uses its own streams (``baton:bench``, ``baton:bench-out``), consumer groups named
``baton-bench-*`` and its own table ``bench_events``, which is created and dropped here, never
by a migration, and lives in a metadata of its own so that it never joins Baton's schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import multiprocessing
import os
import platform
import queue
import sqlite3
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import Table, delete, func, insert, inspect, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, col, select

from benchmarks.common import BenchError, text_of
from shared.bus.connection import connect
from shared.bus.consumer import Consumer, ConsumerOptions
from shared.bus.handling import BatchHandler, Context, Handler
from shared.bus.relay import OutboxRelay
from shared.bus.streams import FIELD, Publisher, stream_key
from shared.clock import SystemClock
from shared.db.engine import Database
from shared.db.models import InboxRow, OutboxRow
from shared.messages import Envelope, Message, message

STREAM = "bench"
OUT_STREAM = "bench-out"
GROUP_PREFIX = "baton-bench-"
RELAY_BATCH = 500
RAW_RUNS = 3
PIPELINE_CHUNK = 500
PROGRESS_EVERY_S = 2.0
PER_MESSAGE = "bus, message by message"

Progress = Callable[[str], None]


@message("bench.OrderPlaced", stream=STREAM)
class BenchOrder(Message):
    """An order-sized message: what the bus carries most."""

    seq: int
    order_id: str
    brand_id: str
    dealer_id: str
    sku: str
    quantity: int
    amount_minor: int
    currency: str
    city: str
    postcode: str


@message("bench.OrderRouted", stream=OUT_STREAM)
class BenchRouted(Message):
    """What the outbox chain's first handler emits."""

    seq: int
    order_id: str
    dealer_id: str


_bench_registry = registry()


class _BenchModel(SQLModel, registry=_bench_registry):
    """Base of the bench's tables: its own metadata, out of ``SQLModel.metadata``."""


class BenchEvent(_BenchModel, table=True):
    """One applied bench message."""

    __tablename__ = "bench_events"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    seq: int
    message_id: str = Field(max_length=64)


_EVENTS: Table = BenchEvent.__table__  # type: ignore[attr-defined]


async def record_order(msg: BenchOrder, ctx: Context) -> None:
    """The bench handler: insert one row."""
    ctx.uow.session.add(BenchEvent(kind="order", seq=msg.seq, message_id=ctx.envelope.id))


async def record_orders(run: Sequence[tuple[BenchOrder, Context]]) -> None:
    """The bench handler for a run of a batch: the same rows, in one statement."""
    connection = await run[0][1].uow.session.connection()
    rows = [{"kind": "order", "seq": msg.seq, "message_id": ctx.envelope.id} for msg, ctx in run]
    await connection.execute(insert(_EVENTS), rows)


async def record_and_route(msg: BenchOrder, ctx: Context) -> None:
    """The outbox chain's first handler: insert one row and emit one message."""
    await record_order(msg, ctx)
    ctx.uow.emit(BenchRouted(seq=msg.seq, order_id=msg.order_id, dealer_id=msg.dealer_id))


async def record_routed(msg: BenchRouted, ctx: Context) -> None:
    """The outbox chain's second handler: insert one row."""
    ctx.uow.session.add(BenchEvent(kind="routed", seq=msg.seq, message_id=ctx.envelope.id))


BATCH_HANDLERS: dict[type[Message], BatchHandler] = {BenchOrder: record_orders}


def make_orders(count: int) -> list[Envelope]:
    """``count`` fresh envelopes of realistic size (new ids every call)."""
    clock = SystemClock()
    return [
        Envelope.wrap(
            BenchOrder(
                seq=i,
                order_id=uuid.uuid4().hex,
                brand_id="brand-0001",
                dealer_id=f"dealer-{i % 97:04d}",
                sku=f"SKU-{i % 5000:05d}-BLK-M",
                quantity=1 + i % 3,
                amount_minor=4_990 + i % 1000,
                currency="EUR",
                city="Lyon",
                postcode=f"69{i % 1000:03d}",
            ),
            clock,
        )
        for i in range(count)
    ]


@dataclass(frozen=True)
class PathResult:
    """The outcome of one path."""

    path: str
    consumers: str
    messages: int
    processed: int
    publish_s: float
    drain_s: float
    comparable: bool = True  # False when it does not do the baseline's work (relay only)

    @property
    def seconds(self) -> float:
        """Publish plus drain."""
        return self.publish_s + self.drain_s

    @property
    def rate(self) -> float:
        """Messages per second over the whole path."""
        return self.messages / self.seconds if self.seconds > 0 else 0.0


@dataclass
class BusBenchReport:
    """Every path's result and the environment they ran in."""

    messages: int
    batch: int
    payload_bytes: int
    python: str
    redis: str
    database: str
    cpus: int
    results: list[PathResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> PathResult | None:
        """The raw Redis result."""
        return next((r for r in self.results if r.path == "raw Redis"), None)

    def ratio(self, result: PathResult) -> float | None:
        """``result``'s rate over the raw Redis rate, when they are comparable."""
        base = self.baseline
        if base is None or not result.comparable or base.rate <= 0:
            return None
        return result.rate / base.rate

    def format(self) -> str:
        """The report as text: environment, table, and what each row means."""
        lines = [
            f"Baton bus benchmark: {self.messages:,} messages, envelope {self.payload_bytes} "
            f"bytes, XREADGROUP COUNT {self.batch}",
            f"environment: Python {self.python}, Redis {self.redis}, {self.database}, "
            f"{self.cpus} CPUs",
            "shape: every path publishes all N first as its system publishes (raw Redis, "
            f"taskiq and the bus message by message: an XADD a round trip; pipelined streams "
            f"and the bus, like its outbox relay: {RELAY_BATCH} XADDs a round trip), then the "
            f"drain is timed: XREADGROUP COUNT {self.batch} per read, one XACK per read after "
            "its entries are applied",
            "",
        ]
        header = ("path", "consumers", "messages", "publish s", "drain s", "total s", "msg/s")
        rows = []
        for r in self.results:
            ratio = self.ratio(r)
            rows.append(
                (
                    r.path,
                    r.consumers,
                    f"{r.processed}/{r.messages}",
                    f"{r.publish_s:.2f}",
                    f"{r.drain_s:.2f}" if r.drain_s else "-",
                    f"{r.seconds:.2f}",
                    f"{r.rate:,.0f}",
                    f"{ratio:.2f}× raw Redis" if ratio is not None else "(XADD only)",
                )
            )
        widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
        left = {0, 1}

        def fmt(cells: Sequence[str]) -> str:
            out = [
                c.ljust(widths[i]) if i in left else c.rjust(widths[i])
                for i, c in enumerate(cells[: len(header)])
            ]
            return "  ".join(out + list(cells[len(header) :])).rstrip()

        lines.append(fmt([*header, "vs raw"]))
        lines.extend(fmt(row) for row in rows)
        lines.append("")
        lines.extend(self.comparisons())
        lines.extend(self.notes)
        return "\n".join(lines)

    def comparisons(self) -> list[str]:
        """The bus against taskiq-redis and against pipelined streams, from this run."""
        bus = next((r for r in self.results if r.path == "bus" and r.consumers == "1"), None)
        if bus is None:
            return []
        out = []
        for path, how in (
            ("taskiq-redis", "{:.2f}× taskiq-redis"),
            ("raw Redis, pipelined", "{:.0%} of pipelined streams"),
        ):
            other = next((r for r in self.results if r.path == path), None)
            if other is not None and other.rate > 0:
                out.append(f"bus, 1 consumer: {how.format(bus.rate / other.rate)}")
        return out + ([""] if out else [])


@dataclass(frozen=True)
class ChildConfig:
    """What a consumer process needs (picklable for the spawn start method)."""

    redis_url: str
    database_url: str
    group: str
    name: str
    options: ConsumerOptions


def consume_in_child(config: ChildConfig, ready: Any, go: Any, stop: Any) -> None:
    """Entry point of one consumer process: get ready, wait for go, consume until stop."""
    try:
        asyncio.run(_child(config, ready, go, stop))
    except BaseException as exc:
        ready.put(f"{config.name} failed: {exc!r}")
        raise


async def _child(config: ChildConfig, ready: Any, go: Any, stop: Any) -> None:
    redis = connect(config.redis_url)
    reader = connect(config.redis_url, blocking=True)
    db = Database(config.database_url)
    try:
        consumer = Consumer(
            group=config.group,
            handlers={BenchOrder: record_order},
            redis=redis,
            reader=reader,
            db=db,
            clock=SystemClock(),
            options=config.options,
            name=config.name,
            batch_handlers=BATCH_HANDLERS,
        )
        await consumer.ensure_groups()
        await reader.ping()
        await _warm(db)
        ready.put("ready")
        if not await _wait_flag(go, 120):
            return
        halt = asyncio.Event()
        task = asyncio.create_task(consumer.run(halt))
        await _wait_flag(stop, None)
        halt.set()
        await task
    finally:
        await reader.aclose()
        await redis.aclose()
        await db.dispose()


async def _wait_flag(flag: Any, limit_s: float | None) -> bool:
    # A multiprocessing.Event, awaited in a thread; gives up if the parent process is gone.
    waited = 0.0
    while not await asyncio.to_thread(flag.wait, 0.25):
        waited += 0.25
        parent = multiprocessing.parent_process()
        if (parent is not None and not parent.is_alive()) or (limit_s and waited >= limit_s):
            return False
    return True


async def _warm(db: Database) -> None:
    # Open the write connection (and SQLite's pragmas) before the clock starts.
    async with db.write() as session:
        await session.exec(select(func.count()).select_from(BenchEvent))


class _Bench:
    def __init__(
        self,
        redis_url: str,
        database_url: str,
        *,
        messages: int,
        batch: int,
        progress: Progress | None,
    ) -> None:
        self.redis_url = redis_url
        self.database_url = database_url
        self.messages = messages
        self.batch = batch
        self.progress = progress
        self.redis: Redis = connect(redis_url)
        self.db = Database(database_url)
        self.clock = SystemClock()
        # Approximate trimming must never drop entries the bench has not read yet.
        self.maxlen = max(100_000, 2 * messages)
        self.options = ConsumerOptions(batch=batch)
        self.timeout = 120.0 + messages / 20

    def say(self, text_: str) -> None:
        if self.progress is not None:
            self.progress(text_)

    # --- setup and cleanup -------------------------------------------------------------

    async def prepare(self) -> None:
        async with self.db.engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        missing = {"inbox", "outbox"} - names
        if missing:
            raise BenchError(
                f"database {self.db.url!r} has no {', '.join(sorted(missing))} table: "
                "run `baton migrate` against it first"
            )
        table = BenchEvent.__table__  # type: ignore[attr-defined]
        async with self.db.engine.begin() as conn:
            await conn.run_sync(_BenchModel.metadata.drop_all, tables=[table])
            await conn.run_sync(_BenchModel.metadata.create_all, tables=[table])
        await self.reset()

    async def reset(self) -> None:
        """Empty the bench's streams, rows, inbox marks and outbox rows."""
        await self.redis.delete(stream_key(STREAM), stream_key(OUT_STREAM))
        async with self.db.write() as session:
            await session.exec(delete(BenchEvent))
            await session.exec(
                delete(InboxRow).where(col(InboxRow.consumer_group).like(f"{GROUP_PREFIX}%"))
            )
            await session.exec(
                delete(OutboxRow).where(col(OutboxRow.stream).in_([STREAM, OUT_STREAM]))
            )

    async def teardown(self) -> None:
        with contextlib.suppress(Exception):
            await self.reset()
            table = BenchEvent.__table__  # type: ignore[attr-defined]
            async with self.db.engine.begin() as conn:
                await conn.run_sync(_BenchModel.metadata.drop_all, tables=[table])
        await self.redis.aclose()
        await self.db.dispose()

    async def foreign_outbox_rows(self) -> int:
        """Outbox rows of other streams: a relay here would publish them too."""
        async with self.db.read() as session:
            statement = (
                select(func.count())
                .select_from(OutboxRow)
                .where(col(OutboxRow.stream).not_in([STREAM, OUT_STREAM]))
            )
            return int((await session.exec(statement)).one())

    async def describe_redis(self) -> str:
        info: Any = await self.redis.info("server")
        transport = "unix socket" if self.redis_url.startswith("unix://") else "TCP"
        return f"{info.get('redis_version', '?')} ({transport})"

    async def describe_database(self) -> str:
        if self.db.is_sqlite:
            return f"SQLite {sqlite3.sqlite_version} file (WAL, synchronous=NORMAL)"
        async with self.db.engine.connect() as conn:
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
        return f"PostgreSQL {str(version).split()[0]}"

    async def count(self, kind: str) -> int:
        async with self.db.read() as session:
            statement = (
                select(func.count()).select_from(BenchEvent).where(col(BenchEvent.kind) == kind)
            )
            return int((await session.exec(statement)).one())

    # --- helpers -----------------------------------------------------------------------

    async def publish(self, envelopes: Sequence[Envelope], *, one_by_one: bool = False) -> float:
        """Publish as the outbox relay does (XADDs pipelined, RELAY_BATCH a round trip),
        or ``one_by_one``, a round trip each; returns the seconds it took."""
        publisher = Publisher(self.redis, self.maxlen)
        start = time.perf_counter()
        if one_by_one:
            for envelope in envelopes:
                await publisher.publish(STREAM, envelope)
        else:
            for first in range(0, len(envelopes), RELAY_BATCH):
                chunk = envelopes[first : first + RELAY_BATCH]
                await publisher.publish_raw([(STREAM, envelope.encode()) for envelope in chunk])
        return time.perf_counter() - start

    def consumer(
        self,
        group: str,
        handlers: dict[type[Message], Handler],
        reader: Redis,
        index: int,
        batch_handlers: dict[type[Message], BatchHandler] | None = None,
    ) -> Consumer:
        return Consumer(
            group=group,
            handlers=handlers,
            redis=self.redis,
            reader=reader,
            db=self.db,
            clock=self.clock,
            options=self.options,
            name=f"{group}-{index}",
            batch_handlers=batch_handlers,
        )

    async def wait_until(
        self,
        label: str,
        done: Callable[[], Awaitable[bool]],
        count: Callable[[], Awaitable[int]],
        interval: float,
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        next_report = loop.time() + PROGRESS_EVERY_S
        while not await done():
            now = loop.time()
            if now > deadline:
                raise BenchError(
                    f"{label}: only {await count()}/{self.messages} done after {self.timeout:.0f}s"
                )
            if now >= next_report:
                self.say(f"  {label}: {await count():,}/{self.messages:,}")
                next_report = now + PROGRESS_EVERY_S
            await asyncio.sleep(interval)

    # --- paths ---------------------------------------------------------------------------

    async def raw(self) -> PathResult:
        await self.reset()
        key, group = stream_key(STREAM), f"{GROUP_PREFIX}raw"
        payloads = [envelope.encode() for envelope in make_orders(self.messages)]
        await self.redis.xgroup_create(key, group, id="0", mkstream=True)
        reader = connect(self.redis_url, blocking=True)
        try:
            await reader.ping()
            start = time.perf_counter()
            for payload in payloads:
                await self.redis.xadd(key, {FIELD: payload}, maxlen=self.maxlen, approximate=True)
            published = time.perf_counter()
            acked = await self.read_and_ack(reader, key, group, self.batch)
            end = time.perf_counter()
        finally:
            await reader.aclose()
        pending: Any = await self.redis.xpending(key, group)
        if int(pending["pending"]):
            raise BenchError("raw Redis: entries left pending")
        return PathResult(
            "raw Redis", "1", self.messages, acked, published - start, end - published
        )

    async def read_and_ack(self, reader: Redis, key: str, group: str, count: int) -> int:
        """Read the group's new entries ``count`` at a time, one XACK per read; how many."""
        acked = 0
        while True:
            reply: Any = await reader.xreadgroup(group, f"{group}-0", {key: ">"}, count=count)
            if not reply:
                return acked
            for _stream, entries in reply:
                await self.redis.xack(key, group, *(entry_id for entry_id, _ in entries))
                acked += len(entries)

    async def raw_pipelined(self) -> PathResult:
        """Bare redis-py with pipelines: what Redis Streams do with no round trip to wait on."""
        await self.reset()
        key, group = stream_key(STREAM), f"{GROUP_PREFIX}raw-pipelined"
        payloads = [envelope.encode() for envelope in make_orders(self.messages)]
        await self.redis.xgroup_create(key, group, id="0", mkstream=True)
        start = time.perf_counter()
        for chunk in range(0, len(payloads), PIPELINE_CHUNK):
            pipe = self.redis.pipeline(transaction=False)
            for payload in payloads[chunk : chunk + PIPELINE_CHUNK]:
                pipe.xadd(key, {FIELD: payload}, maxlen=self.maxlen, approximate=True)
            await pipe.execute()
        published = time.perf_counter()
        acked = await self.read_and_ack(self.redis, key, group, PIPELINE_CHUNK)
        end = time.perf_counter()
        return PathResult(
            "raw Redis, pipelined", "1", self.messages, acked, published - start, end - published
        )

    async def taskiq(self) -> PathResult:
        """taskiq-redis's stream broker doing the bus's work, its worker a process of its own.

        The tasks are sent first (timed: "publish"), then the worker process is started and,
        once it listens, the drain is timed until every row is in.
        """
        from benchmarks.taskiq_worker import broker_and_task

        await self.reset()
        queue = f"{GROUP_PREFIX}taskiq-{uuid.uuid4().hex[:6]}"
        broker, task = broker_and_task(self.redis_url, queue, self.db, self.batch)
        await broker.startup()  # makes the group, so that what is sent now waits for it
        worker: asyncio.subprocess.Process | None = None
        try:
            envelopes = make_orders(self.messages)
            start = time.perf_counter()
            for envelope in envelopes:
                await task.kiq(envelope.payload["seq"], envelope.id)
            publish_s = time.perf_counter() - start
            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.taskiq_worker", self.redis_url, queue,
                self.database_url, str(self.batch), stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert worker.stdout is not None
            if b"ready" not in await asyncio.wait_for(worker.stdout.readline(), 60):
                raise BenchError("taskiq: the worker process did not start")
            start = time.perf_counter()

            async def done() -> bool:
                if worker is not None and worker.returncode is not None:
                    raise BenchError("taskiq: the worker process exited early")
                return await self.count("taskiq") >= self.messages

            await self.wait_until("taskiq", done, lambda: self.count("taskiq"), 0.005)
            drain_s = time.perf_counter() - start
        finally:
            if worker is not None and worker.returncode is None:
                worker.kill()
                await worker.wait()
            await broker.shutdown()
            await self.redis.delete(queue)
        return PathResult(
            "taskiq-redis", "1 process", self.messages, await self.count("taskiq"), publish_s,
            drain_s,
        )  # fmt: skip

    async def bus(self, consumers: int, *, per_message: bool = False) -> PathResult:
        """Baton's bus as its services use it: published as the relay publishes, applied
        by batch handlers; or ``per_message``: a round trip per XADD, a handler per row."""
        await self.reset()
        group = f"{GROUP_PREFIX}bus-{consumers}{'-each' if per_message else ''}"
        envelopes = make_orders(self.messages)
        readers = [connect(self.redis_url, blocking=True) for _ in range(consumers)]
        batch_handlers = None if per_message else BATCH_HANDLERS
        running = [
            self.consumer(group, {BenchOrder: record_order}, reader, i, batch_handlers)
            for i, reader in enumerate(readers)
        ]
        try:
            await running[0].ensure_groups()
            for reader in readers:
                await reader.ping()
            publish_s = await self.publish(envelopes, one_by_one=per_message)

            def finished() -> int:
                return sum(c.stats.applied + c.stats.duplicates for c in running)

            drain_s = await self.drain(f"bus ×{consumers}", running, finished)
        finally:
            for reader in readers:
                await reader.aclose()
        label = f"{consumers} (1 process)" if consumers > 1 else "1"
        return PathResult(
            PER_MESSAGE if per_message else "bus",
            label,
            self.messages,
            await self.count("order"),
            publish_s,
            drain_s,
        )

    async def drain(
        self,
        label: str,
        consumers: list[Consumer],
        finished: Callable[[], int],
        *,
        relay: OutboxRelay | None = None,
    ) -> float:
        stop = asyncio.Event()
        start = time.perf_counter()
        tasks = [asyncio.create_task(c.run(stop)) for c in consumers]
        if relay is not None:
            tasks.append(asyncio.create_task(relay.run(stop)))
        try:

            async def done() -> bool:
                if any(t.done() for t in tasks):
                    raise BenchError(f"{label}: a consumer stopped early")
                return finished() >= self.messages

            async def count() -> int:
                return finished()

            await self.wait_until(label, done, count, 0.002)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        return time.perf_counter() - start

    async def processes(self, consumers: int) -> PathResult:
        await self.reset()
        group = f"{GROUP_PREFIX}procs-{consumers}"
        key = stream_key(STREAM)
        envelopes = make_orders(self.messages)
        ctx = multiprocessing.get_context("spawn")
        ready, go, stop = ctx.Queue(), ctx.Event(), ctx.Event()
        children = [
            ctx.Process(
                target=consume_in_child,
                args=(
                    ChildConfig(
                        self.redis_url, self.database_url, group, f"{group}-{i}", self.options
                    ),
                    ready,
                    go,
                    stop,
                ),
                name=f"bench-consumer-{i}",
                daemon=True,
            )
            for i in range(consumers)
        ]
        for child in children:
            child.start()
        try:
            await self.wait_ready(ready, children)
            publish_s = await self.publish(envelopes)
            newest: Any = await self.redis.xrevrange(key, count=1)
            last_id = newest[0][0]
            start = time.perf_counter()
            go.set()

            async def done() -> bool:
                if any(child.exitcode is not None for child in children):
                    raise BenchError("a consumer process exited early")
                for info in await self.redis.xinfo_groups(key):
                    if text_of(info["name"]) == group:
                        return bool(
                            int(info["pending"]) == 0
                            and text_of(info["last-delivered-id"]) == text_of(last_id)
                        )
                return False

            await self.wait_until(
                f"bus ×{consumers} processes", done, lambda: self.count("order"), 0.005
            )
            drain_s = time.perf_counter() - start
        finally:
            stop.set()
            go.set()
            for child in children:
                await asyncio.to_thread(child.join, 15)
                if child.is_alive():
                    child.terminate()
                    await asyncio.to_thread(child.join, 5)
            ready.close()
        return PathResult(
            "bus",
            f"{consumers} ({consumers} processes)",
            self.messages,
            await self.count("order"),
            publish_s,
            drain_s,
        )

    async def wait_ready(self, ready: Any, children: list[Any]) -> None:
        """Wait for every consumer process to say it is ready, failing if one dies."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        waiting = len(children)
        while waiting:
            try:
                answer = await asyncio.to_thread(ready.get, True, 0.25)
            except queue.Empty:
                if any(child.exitcode is not None for child in children):
                    raise BenchError("a consumer process exited before it was ready") from None
                if loop.time() > deadline:
                    raise BenchError("the consumer processes did not start in 120s") from None
                continue
            if answer != "ready":
                raise BenchError(str(answer))
            waiting -= 1

    async def chain(self) -> PathResult:
        await self.reset()
        envelopes = make_orders(self.messages)
        readers = [connect(self.redis_url, blocking=True) for _ in range(2)]
        first = self.consumer(
            f"{GROUP_PREFIX}chain-a", {BenchOrder: record_and_route}, readers[0], 0
        )
        second = self.consumer(
            f"{GROUP_PREFIX}chain-b", {BenchRouted: record_routed}, readers[1], 0
        )
        try:
            await first.ensure_groups()
            await second.ensure_groups()
            publish_s = await self.publish(envelopes)
            relay = OutboxRelay(self.db, Publisher(self.redis, self.maxlen), batch=RELAY_BATCH)
            drain_s = await self.drain(
                "outbox chain",
                [first, second],
                lambda: second.stats.applied + second.stats.duplicates,
                relay=relay,
            )
        finally:
            for reader in readers:
                await reader.aclose()
        return PathResult(
            "outbox chain",
            "1 + relay + 1",
            self.messages,
            await self.count("routed"),
            publish_s,
            drain_s,
        )

    async def relay_only(self) -> PathResult:
        await self.reset()
        now = self.clock.now()
        async with self.db.write() as session:
            session.add_all(
                OutboxRow(stream=STREAM, message_id=e.id, envelope=e.encode(), created_at=now)
                for e in make_orders(self.messages)
            )
        relay = OutboxRelay(self.db, Publisher(self.redis, self.maxlen), batch=RELAY_BATCH)
        start = time.perf_counter()
        while await relay.publish_pending():
            pass
        elapsed = time.perf_counter() - start
        published = int(await self.redis.xlen(stream_key(STREAM)))
        return PathResult(
            "outbox relay only", "relay", self.messages, published, elapsed, 0.0, comparable=False
        )


async def run_bus_bench(
    redis_url: str,
    database_url: str,
    *,
    messages: int = 5_000,
    consumers: Sequence[int] = (1, 2),
    batch: int = ConsumerOptions.batch,
    processes: bool = True,
    progress: Progress | None = None,
) -> BusBenchReport:
    """Run every path against ``redis_url`` and the migrated ``database_url``."""
    if messages < 1:
        raise BenchError("messages must be at least 1")
    if batch < 1:
        raise BenchError("batch must be at least 1")
    counts = sorted({c for c in consumers if c >= 1})
    if not counts:
        raise BenchError("consumers must name at least one count of 1 or more")
    bench = _Bench(redis_url, database_url, messages=messages, batch=batch, progress=progress)
    try:
        await bench.prepare()
        report = BusBenchReport(
            messages=messages,
            batch=batch,
            payload_bytes=len(make_orders(1)[0].encode()),
            python=platform.python_version(),
            redis=await bench.describe_redis(),
            database=await bench.describe_database(),
            cpus=os.cpu_count() or 1,
        )

        async def step(title: str, run: Callable[[], Awaitable[PathResult]]) -> None:
            bench.say(f"{title}: {messages:,} messages…")
            result = await run()
            report.results.append(result)
            bench.say(f"{title}: {result.seconds:.2f}s, {result.rate:,.0f} msg/s")

        # The baselines are short and so noisy: each the median of RAW_RUNS runs.
        for title, run in (("raw Redis", bench.raw), ("raw Redis, pipelined", bench.raw_pipelined)):
            bench.say(f"{title}: {messages:,} messages ×{RAW_RUNS}…")
            runs = sorted([await run() for _ in range(RAW_RUNS)], key=lambda r: r.seconds)
            median = runs[len(runs) // 2]
            report.results.append(median)
            bench.say(f"{title}: {median.seconds:.2f}s, {median.rate:,.0f} msg/s (median)")
        if importlib.util.find_spec("taskiq_redis") is not None:
            await step("taskiq-redis", bench.taskiq)
        else:
            report.notes.append(
                "taskiq-redis: not installed, so not measured (pip install '.[bench]')"
            )
        await step(PER_MESSAGE, partial(bench.bus, 1, per_message=True))
        for count in counts:
            await step(f"bus, {count} consumer(s) in one process", partial(bench.bus, count))
            if processes and count > 1:
                await step(f"bus, {count} consumer processes", partial(bench.processes, count))
        foreign = await bench.foreign_outbox_rows()
        if foreign:
            report.notes.append(
                f"outbox paths skipped: the outbox holds {foreign} rows of other streams, "
                "which a relay would publish"
            )
        else:
            await step("outbox chain", bench.chain)
            await step("outbox relay only", bench.relay_only)
        report.notes.extend(
            [
                f"raw Redis: bare redis-py asyncio commands, no Baton code; the median of "
                f"{RAW_RUNS} runs (the 1.00× line).",
                f"raw Redis, pipelined: XADD in pipelines of {PIPELINE_CHUNK}, XREADGROUP COUNT "
                f"{PIPELINE_CHUNK}, one XACK per read: Streams with no round trip to wait on; "
                f"the median of {RAW_RUNS} runs.",
                "taskiq-redis: its RedisStreamBroker, the worker a process of its own, each task "
                "inserting the same row in its own transaction; no inbox, so no exactly-once.",
                "bus, message by message: Publisher.publish (an XADD a round trip), then "
                "Consumer: decode, inbox claim, a handler adding one row (an ORM object) per "
                "message; one transaction and one XACK per read.",
                f"bus: published as the outbox relay publishes (pipelined, {RELAY_BATCH} a round "
                "trip), then Consumer: decode, inbox claim, and the read's rows inserted by a "
                "batch handler in one statement, as Baton's busiest handlers do; one transaction "
                "and one XACK per read.",
                "outbox chain: the handler also emits into the outbox; OutboxRelay publishes; "
                "a second group applies it (two consumer transactions and the relay's per batch).",
                f"outbox relay only: N committed outbox rows published by OutboxRelay "
                f"(pipelined XADD, {RELAY_BATCH} per transaction).",
            ]
        )
        return report
    finally:
        await bench.teardown()
