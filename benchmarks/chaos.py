"""``baton chaos``: Baton deployed as separate processes, killed at random, then checked.

The run starts a Redis of its own (AOF with ``appendfsync always``) and a fresh
PostgreSQL database beside the one named, and the services as ``baton run`` processes with
replicas (api ×1; stock, orders, settlement and stats ×2 by default). A shop posts a burst of
orders from several clients, retrying any POST that fails as a real shop would (the
same body: intake is idempotent). A dealer driver, standing in for the chat bot's users,
reads the offers and answers them: most are accepted, some declined, some left to time
out; accepted orders are handed over by pickup code or delivered, a few cancelled, and a
few returned after handover. Meanwhile a killer SIGKILLs a random worker every few
seconds and starts it again; once during the run it kills the API, and once Redis.

When the time is up the killing stops, every process is up again, and the driver
accepts every offer until each order has come to rest (completed, cancelled, returned or
waiting for HQ). Then the checks, each printed with its figure:

- no order lost: every order the API answered with an id is in the database;
- none stuck: every order has come to rest;
- no unit promised twice: no stock level below zero or reserved beyond its units, and each
  level's reserved units equal the units its held reservations name;
- no unit vanished or appeared: what is left plus what was handed over is at least what
  there was (returns put units back), and never more than there was is left;
- no order handed over by two dealers;
- ``baton check ledger``: every ledger transaction balanced;
- no dead letters.

Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.common import BenchError, text_of
from benchmarks.orders import order_body, seed
from benchmarks.processes import Deployment, Worker, deployed, service_env
from benchmarks.routing import make_network, make_orders, warehouse
from shared.bus.connection import connect
from shared.bus.embedded import die_with_parent, free_port, redis_server_binary
from shared.bus.streams import DEAD_LETTER, FIELD, Publisher, stream_key
from shared.clock import SystemClock
from shared.db.engine import Database
from shared.db.migrate import upgrade
from shared.messages import Envelope, Message
from shared.messages.orders import (
    AcceptOffer,
    Actor,
    ConfirmDelivery,
    ConfirmPickup,
    DeclineOffer,
    MarkReady,
)

EVENTS = stream_key("order-events")
AT_REST = frozenset({"completed", "cancelled", "returned", "rejected", "waiting_for_hq"})
OFFER_TIMEOUT_S = 10  # the least Baton allows: left offers come back soon
SETTLE_TIMEOUT_S = 180
WORKERS = ("stock", "orders", "settlement", "stats")


def say(text_: str) -> None:
    """Progress, on stderr."""
    print(text_, file=sys.stderr, flush=True)


class ChaosRedis:
    """A redis-server on a TCP port that survives its own SIGKILL: AOF, fsync on every write."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start (or start again on the same files) and wait until it answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            redis_server_binary(), "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.directory), "--save", "", "--appendonly", "yes",
            "--appendfsync", "always", "--logfile", str(self.directory / "redis.log"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent,
        )  # fmt: skip
        client = connect(self.url)
        try:
            for _ in range(500):
                with contextlib.suppress(Exception):
                    if await client.ping():
                        return
                await asyncio.sleep(0.02)
        finally:
            await client.aclose()
        raise BenchError(f"the chaos redis-server did not start; see {self.directory}")

    async def kill(self) -> None:
        """SIGKILL."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                await self.kill()


@dataclass
class Scratch:
    """The run's own database; ``keep`` it when a check failed, to look at it."""

    url: str
    name: str
    keep: bool = False


@asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[Scratch]:
    """A new, migrated database on the server of ``server_url``; dropped afterwards."""
    url = make_url(server_url)
    if url.get_backend_name() != "postgresql":
        raise BenchError("the chaos run needs PostgreSQL: --database-url postgresql+asyncpg://…")
    name = f"baton_chaos_{secrets.token_hex(4)}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        scratch = url.set(database=name).render_as_string(hide_password=False)
        await upgrade(scratch)
        made = Scratch(scratch, name)
        try:
            yield made
        finally:
            if made.keep:
                say(f"the database {name} is kept for a look at what failed")
            else:
                async with admin.connect() as connection:
                    await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@dataclass
class Tally:
    """What happened during the run."""

    posted: dict[str, str] = field(default_factory=dict)  # external id -> order id
    codes: dict[str, str] = field(default_factory=dict)  # order id -> pickup code
    post_retries: int = 0
    kills: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)


class Driver:
    """The dealers and the shop after the burst: answer offers, hand over, cancel, return."""

    def __init__(
        self, redis: Redis, reader: Redis, api: Shop, tally: Tally, rng: random.Random
    ) -> None:
        self.redis, self.reader, self.api, self.tally, self.rng = redis, reader, api, tally, rng
        self.publisher = Publisher(redis, maxlen=1_000_000)
        self.accept_all = False
        self.returned: set[str] = set()

    async def send(self, message: Message) -> None:
        """Publish a command as the bot would (retrying while Redis is down)."""
        envelope = Envelope.wrap(message, SystemClock())
        while True:
            try:
                await self.publisher.publish(message.STREAM, envelope)
                return
            except Exception:  # Redis restarting: the bot would retry too
                await asyncio.sleep(0.2)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the order events until ``stop``."""
        last = "0-0"
        while not stop.is_set():
            try:
                reply: Any = await self.reader.xread({EVENTS: last}, count=200, block=200)
            except Exception:
                await asyncio.sleep(0.2)
                continue
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    last = entry_id
                    envelope = Envelope.decode(fields[FIELD.encode()])
                    await self._on(envelope.name, envelope.payload)

    async def _on(self, name: str, event: dict[str, Any]) -> None:
        if name == "orders.OrderOffered":
            await self._offered(event)
        elif name == "orders.OrderStatusChanged":
            await self._status(event)

    async def _offered(self, event: dict[str, Any]) -> None:
        actor = _actor(event["dealer_id"])
        roll = self.rng.random()
        if self.accept_all or roll < 0.75:
            self.tally.answers["accept"] += 1
            await self.send(AcceptOffer(offer_id=event["offer_id"], actor=actor))
        elif roll < 0.9:
            self.tally.answers["decline"] += 1
            await self.send(
                DeclineOffer(offer_id=event["offer_id"], reason="too_busy", actor=actor)
            )
        else:
            self.tally.answers["left to time out"] += 1

    async def _status(self, event: dict[str, Any]) -> None:
        order_id, dealer = event["order_id"], event.get("fulfilling_dealer_id")
        if event["status"] == "accepted" and dealer:
            if not self.accept_all and self.rng.random() < 0.08:
                self.tally.answers["cancel"] += 1
                await self.api.call(f"/v1/orders/{order_id}/cancel", {"reason": "chaos"})
            elif order_id in self.tally.codes:
                self.tally.answers["pickup"] += 1
                code = self.tally.codes[order_id]
                await self.send(ConfirmPickup(order_id=order_id, code=code, actor=_actor(dealer)))
            else:
                self.tally.answers["delivery"] += 1
                await self.send(MarkReady(order_id=order_id, actor=_actor(dealer)))
                await self.send(ConfirmDelivery(order_id=order_id, actor=_actor(dealer)))
        elif (
            event["status"] == "completed"
            and order_id not in self.returned
            and not self.accept_all
            and self.rng.random() < 0.1
        ):
            self.returned.add(order_id)
            self.tally.answers["return"] += 1
            await self._return(order_id)

    async def _return(self, order_id: str) -> None:
        status, view = await self.api.get(f"/v1/orders/{order_id}")
        if status == 200:
            lines = [{"sku": ln["sku"], "qty": ln["qty"]} for ln in view["lines"]]
            await self.api.call(f"/v1/orders/{order_id}/returns", {"lines": lines})


class Shop:
    """The shop's HTTP client: retries a request until the API answers it."""

    def __init__(self, http: aiohttp.ClientSession, urls: list[str], token: str) -> None:
        self.http, self.urls = http, urls
        self.headers = {"Authorization": f"Bearer {token}"}
        self.retries = 0

    async def call(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST until answered (not 5xx, not a dropped connection)."""
        return await self._until_answered("POST", path, body)

    async def get(self, path: str) -> tuple[int, Any]:
        """GET until answered."""
        return await self._until_answered("GET", path, None)

    async def _until_answered(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        for attempt in range(600):
            url = self.urls[attempt % len(self.urls)] + path
            try:
                async with self.http.request(
                    method, url, json=body, headers=self.headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as answer:  # fmt: skip
                    if answer.status < 500:
                        return answer.status, await answer.json()
            except (aiohttp.ClientError, TimeoutError):
                pass
            self.retries += 1
            await asyncio.sleep(0.2)
        raise BenchError(f"{method} {path} was never answered")


def _actor(dealer_id: str) -> Actor:
    return Actor(kind="dealer", id=f"chaos-{dealer_id}", dealer_id=dealer_id)


@dataclass
class ChaosOptions:
    """How big and how long."""

    database_url: str
    orders: int = 300
    seconds: float = 60.0
    replicas: int = 2
    kill_every_s: float = 3.0
    dealers: int = 60
    clients: int = 8
    seed: int = 11


async def run_chaos(options: ChaosOptions) -> int:
    """Run it all; print the figures; 0 if every check passed."""
    workdir = Path(tempfile.mkdtemp(prefix="baton-chaos-"))
    redis_server = ChaosRedis(workdir / "redis")
    await redis_server.start()
    try:
        async with scratch_database(options.database_url) as scratch:
            say(f"redis {redis_server.url}; database {scratch.name}")
            status = await _run(options, workdir, redis_server, scratch.url)
            scratch.keep = status != 0
            return status
    finally:
        await redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def _run(
    options: ChaosOptions, workdir: Path, redis_server: ChaosRedis, database_url: str
) -> int:
    db = Database(database_url)
    rng = random.Random(options.seed)
    dealers = [warehouse(), *make_network(options.dealers)]
    await seed(db, dealers)
    initial = {(d.id, sku): units for d in dealers for sku, units in d.stock.items()}
    token = secrets.token_urlsafe(32)
    env = {
        "redis_url": redis_server.url, "database_url": database_url, "api_token": token,
        "pickup_key": secrets.token_urlsafe(24), "offer_timeout_s": str(OFFER_TIMEOUT_S),
        "claim_idle_ms": "2000", "block_ms": "500",
    }  # fmt: skip
    counts = {"api": 1} | dict.fromkeys(WORKERS, options.replicas)
    tally = Tally()
    started = time.monotonic()
    async with deployed(workdir, env, counts) as deployment:
        say(f"{len(deployment.workers)} processes up: " + ", ".join(countstext_of(counts)))
        await _chaos(options, db, deployment, redis_server, tally, rng, token)
        findings = await _check(db, redis_server.url, initial, tally, env)
    await db.dispose()
    print(_report(options, tally, findings, time.monotonic() - started))
    return 0 if all(ok for ok, _ in findings.values()) else 1


def countstext_of(counts: dict[str, int]) -> list[str]:
    """``stock ×2``, one per service."""
    return [f"{name} ×{n}" for name, n in counts.items()]


async def _chaos(
    options: ChaosOptions,
    db: Database,
    deployment: Deployment,
    redis_server: ChaosRedis,
    tally: Tally,
    rng: random.Random,
    token: str,
) -> None:
    redis, reader = connect(redis_server.url), connect(redis_server.url, blocking=True)
    async with aiohttp.ClientSession() as http:
        shop = Shop(http, deployment.api_urls, token)
        driver = Driver(redis, reader, shop, tally, rng)
        stop_driver, stop_killing = asyncio.Event(), asyncio.Event()
        driving = asyncio.create_task(driver.run(stop_driver))
        killing = asyncio.create_task(
            _kill_loop(options, deployment, redis_server, tally, rng, stop_killing)
        )
        try:
            await _burst(options, shop, tally)
            say(f"{len(tally.posted)} orders in; chaos until {options.seconds:.0f}s have passed…")
            await asyncio.wait_for(stop_killing.wait(), options.seconds + 60)
            await killing
            say("killing stopped; every process is up; every offer is now accepted…")
            driver.accept_all = True
            await _settle(db, tally)
        finally:
            stop_killing.set()
            stop_driver.set()
            await asyncio.gather(killing, driving, return_exceptions=True)
            tally.post_retries = shop.retries
            await redis.aclose()
            await reader.aclose()


async def _burst(options: ChaosOptions, shop: Shop, tally: Tally) -> None:
    facts = make_orders(options.orders, options.dealers)
    run = secrets.token_hex(3)
    bodies = iter([order_body(f"chaos-{run}-{i}", f) for i, f in enumerate(facts)])

    async def client() -> None:
        for body in bodies:
            status, answer = await shop.call("/v1/orders", body)
            if status not in (200, 201):
                raise BenchError(f"POST /v1/orders answered {status}: {answer}")
            tally.posted[body["external_id"]] = answer["id"]
            if answer.get("pickup_code"):
                tally.codes[answer["id"]] = answer["pickup_code"]

    await asyncio.gather(*(client() for _ in range(options.clients)))


async def _kill_loop(
    options: ChaosOptions,
    deployment: Deployment,
    redis_server: ChaosRedis,
    tally: Tally,
    rng: random.Random,
    stop: asyncio.Event,
) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + options.seconds
    api_at, redis_at = end - options.seconds * 0.6, end - options.seconds * 0.3
    workers = [w for w in deployment.workers if w.service in WORKERS]
    try:
        while loop.time() < end:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * options.kill_every_s)
            if api_at and loop.time() >= api_at:
                api_at = 0
                await _kill_and_restart(deployment.of("api")[0], tally)
            elif redis_at and loop.time() >= redis_at:
                redis_at = 0
                await redis_server.kill()
                tally.kills["redis"] += 1
                await asyncio.sleep(1)
                await redis_server.start()
            else:
                await _kill_and_restart(rng.choice(workers), tally)
    finally:
        stop.set()


async def _kill_and_restart(worker: Worker, tally: Tally) -> None:
    worker.kill()
    if worker.process is not None:
        await worker.process.wait()
    tally.kills[worker.service] += 1
    await worker.start()


async def _settle(db: Database, tally: Tally) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT_S
    while loop.time() < deadline:
        statuses = await _statuses(db)
        moving = [o for o in tally.posted.values() if statuses.get(o) not in AT_REST]
        if not moving:
            return
        say(f"  {len(moving)} order(s) still moving…")
        await asyncio.sleep(3)


async def _statuses(db: Database) -> dict[str, str]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, status FROM orders"))
        return {str(i): str(s) for i, s in rows}


async def _check(
    db: Database,
    redis_url: str,
    initial: dict[tuple[str, str], int],
    tally: Tally,
    env: dict[str, str],
) -> dict[str, tuple[bool, str]]:
    findings: dict[str, tuple[bool, str]] = {}
    async with db.engine.connect() as c:
        levels = list(
            await c.execute(text("SELECT dealer_id, sku, on_hand, reserved FROM stock_levels"))
        )
        held = await _units(c, "held")
        committed = await _units(c, "committed")
        doubles = int((await c.execute(text(
            "SELECT COUNT(*) FROM (SELECT order_id FROM offers WHERE state = 'accepted' "
            "GROUP BY order_id HAVING COUNT(*) > 1) twice"
        ))).scalar_one())  # fmt: skip
    statuses = await _statuses(db)
    lost = [o for o in tally.posted.values() if o not in statuses]
    findings["orders lost"] = (not lost, f"{len(lost)} of {len(tally.posted)}")
    stuck = Counter(statuses[o] for o in tally.posted.values() if statuses.get(o) not in AT_REST)
    findings["orders stuck"] = (not stuck, f"{sum(stuck.values())} {dict(stuck) or ''}".strip())
    bad_levels = [
        (d, s) for d, s, on_hand, reserved in levels
        if on_hand < 0 or reserved < 0 or reserved > on_hand or reserved != held.get((d, s), 0)
    ]  # fmt: skip
    findings["stock levels off (negative, over-reserved, or ≠ held)"] = (
        not bad_levels, f"{len(bad_levels)} of {len(levels)}"
    )  # fmt: skip
    on_hand = {(d, s): int(n) for d, s, n, _r in levels}
    findings["units vanished or appeared (had − handed over + returned ≠ now)"] = _units_conserved(
        initial, on_hand, committed
    )
    findings["orders handed over by two dealers"] = (doubles == 0, str(doubles))
    ledger = await asyncio.to_thread(_check_ledger, env)
    findings["baton check ledger"] = ledger
    findings["statistics ≠ orders by status (each order counted once)"] = await _counted(
        db, statuses
    )
    client = connect(redis_url)
    try:
        dead = int(await client.xlen(DEAD_LETTER))
        letters: Any = await client.xrange(DEAD_LETTER, count=3)
    finally:
        await client.aclose()
    reasons = "; ".join(
        f"{text_of(f.get(b'stream'))}: {text_of(f.get(b'reason'))}" for _id, f in letters
    )
    findings["dead letters"] = (dead == 0, f"{dead} {reasons}".strip())
    return findings


async def _counted(db: Database, statuses: dict[str, str]) -> tuple[bool, str]:
    """Whether the statistics count every order once, under its status: they follow the
    events, so they are given a while to catch up."""
    want = Counter(statuses.values())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT_S
    while True:
        async with db.engine.connect() as c:
            rows = await c.execute(
                text("SELECT status, SUM(orders) FROM stats_order_days GROUP BY status")
            )
            kept = Counter({str(status): int(n) for status, n in rows if n})
        if kept == want or loop.time() > deadline:
            off = sorted(s for s in want.keys() | kept.keys() if want[s] != kept[s])
            return kept == want, f"{len(off)} statuses off {off or ''}".strip()
        await asyncio.sleep(1)


async def _units(c: Any, state: str) -> dict[tuple[str, str], int]:
    """Units per (dealer, SKU) of the reservations in ``state``."""
    rows = await c.execute(
        text(
            "SELECT r.dealer_id, l.sku, SUM(l.qty) FROM stock_reservations r "
            "JOIN stock_reservation_lines l ON l.request_id = r.request_id "
            "WHERE r.state = :state AND NOT l.short GROUP BY r.dealer_id, l.sku"
        ),
        {"state": state},
    )
    return {(dealer, sku): int(qty) for dealer, sku, qty in rows}


def _units_conserved(
    initial: dict[tuple[str, str], int],
    on_hand: dict[tuple[str, str], int],
    committed: dict[tuple[str, str], int],
) -> tuple[bool, str]:
    # What a level has now is what it had, less what was handed over, plus what came back
    # (returns restock it, and no more comes back than was handed over): so nothing
    # vanished when now + handed over >= had, and nothing appeared when now <= had.
    off = [
        key for key, had in initial.items()
        if on_hand.get(key, had) + committed.get(key, 0) < had or on_hand.get(key, had) > had
    ]  # fmt: skip
    return not off, f"{len(off)} of {len(initial)} levels"


def _check_ledger(env: dict[str, str]) -> tuple[bool, str]:
    environment = service_env(os.environ, **env)
    done = subprocess.run(
        [sys.executable, "-m", "baton.cli", "check", "ledger"],
        env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    out = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, out[0] if out else f"exit {done.returncode}"


def _report(
    options: ChaosOptions, tally: Tally, findings: dict[str, tuple[bool, str]], seconds: float
) -> str:
    answers = ", ".join(f"{k} {v}" for k, v in sorted(tally.answers.items()))
    kills = ", ".join(f"{k} ×{v}" for k, v in sorted(tally.kills.items()))
    lines = [
        f"Baton chaos run: {len(tally.posted):,} orders from {options.clients} clients, "
        f"{options.replicas} replica(s) of stock, orders, settlement and stats, PostgreSQL, "
        f"{seconds:.0f}s in all",
        f"SIGKILLs: {kills or 'none'} (a random worker every ~{options.kill_every_s:g}s)",
        f"dealers' answers: {answers}; POSTs retried after a failure: {tally.post_retries}",
        "",
    ]
    width = max(len(name) for name in findings)
    for name, (ok, figure) in findings.items():
        lines.append(f"{'ok  ' if ok else 'FAIL'}  {name.ljust(width)}  {figure}")
    lines.append("")
    lines.append(
        "every check passed" if all(ok for ok, _ in findings.values()) else "CHECKS FAILED"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``baton chaos``."""
    parser = argparse.ArgumentParser(
        prog="baton chaos",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Exit status 0 when every check passed, 1 when one failed, 2 on bad usage.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BATON_TEST_DATABASE_URL", ""),
        help="a PostgreSQL server to make a scratch database on (default: "
        "$BATON_TEST_DATABASE_URL); the scratch database is dropped at the end",
    )
    parser.add_argument("--orders", type=int, default=300, help="orders in the burst (300)")
    parser.add_argument("--seconds", type=float, default=60, help="how long to kill (60)")
    parser.add_argument("--replicas", type=int, default=2, help="of each worker service (2)")
    parser.add_argument(
        "--kill-every", type=float, default=3.0, metavar="S", help="seconds between kills (3)"
    )
    parser.add_argument("--seed", type=int, default=11, help="the random seed (11)")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("name a PostgreSQL server with --database-url (or BATON_TEST_DATABASE_URL)")
    if args.orders < 1 or args.seconds <= 0 or not 1 <= args.replicas <= 8:
        parser.error("orders ≥ 1, seconds > 0, replicas 1 to 8")
    options = ChaosOptions(
        args.database_url, orders=args.orders, seconds=args.seconds, replicas=args.replicas,
        kill_every_s=args.kill_every, seed=args.seed,
    )  # fmt: skip
    try:
        return asyncio.run(run_chaos(options))
    except BenchError as exc:
        print(f"baton chaos: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
