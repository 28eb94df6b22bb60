"""``baton bench sender``: the chat sender against the emulator with Telegram's real limits.

Two figures, each against the limit as the baseline:

* **throughput**: N broadcast messages to N/5 chats (so the bot-wide 30/s, not the 1/s of a
  chat, is the bottleneck), timed from the commit that queues them to the emulator holding
  the last one. Goal: ≥ 0.95 × the limit with no 429.
* **offer delay**: a broadcast of B messages to B chats is queued and draining; lane-0
  offers to other chats are then submitted one by one, timed from their commit to their
  arrival in the emulator. Half wake the sender in-process, half are found by its poll
  (as a row committed by another process would be). Goal: under two seconds.

The emulator runs in the same process and event loop as the sender, so its CPU time counts
against the sender's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import col, func, select
from telegram import Bot
from telegram.request import HTTPXRequest

from benchmarks.common import BenchError, bench_stores, run_bench
from bots.emulator import EmulatorServer, Limits
from bots.sender.limits import SenderLimits
from bots.sender.sender import ChatSender
from shared.bus.connection import connect
from shared.chat.models import PENDING, ChatMessage
from shared.chat.outbox import Lane, Outgoing, submit, submit_many
from shared.clock import SystemClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work

Progress = Callable[[str], None]
PREFIX = "bench:"  # the bench's own rows, deleted before and after
LOCK = "bench-chat-sender"


@dataclass
class SenderBenchReport:
    """What the benchmark measured."""

    limit: float  # messages a second per bot, Telegram's (and the emulator's) number
    messages: int
    chats: int
    seconds: float
    throughput_429: int
    backlog: int
    burst: int = 0
    burst_seconds: float = 0.0
    offer_wake: list[float] = field(default_factory=list)
    offer_poll: list[float] = field(default_factory=list)
    backlog_429: int = 0

    @property
    def rate(self) -> float:
        """Messages a second over the whole throughput run."""
        return self.messages / self.seconds

    @property
    def steady_rate(self) -> float:
        """Messages a second after the sender's initial burst."""
        return (self.messages - self.burst) / (self.seconds - self.burst_seconds)

    def format(self) -> str:
        """The report as text."""

        def delays(values: list[float]) -> str:
            worst = max(values)
            return (
                f"max {worst:.3f} s (= {worst * self.limit:.1f} sends at the limit), "
                f"median {statistics.median(values):.3f} s"
            )

        return "\n".join(
            [
                f"chat sender vs the emulator with Telegram's limits ({self.limit:g} msg/s a bot,"
                " 1 msg/s a private chat, burst 3)",
                f"throughput   {self.messages} messages to {self.chats} chats in "
                f"{self.seconds:.1f} s = {self.rate:.1f} msg/s = {self.rate / self.limit:.3f} × "
                f"the limit; after the first {self.burst} (the sender's burst) "
                f"{self.steady_rate:.2f} msg/s = {self.steady_rate / self.limit:.3f} × the limit "
                f"(goal ≥ 0.95); 429s: {self.throughput_429}",
                f"offer delay  behind a {self.backlog:,}-message broadcast, goal < 2 s: "
                f"woken in-process {delays(self.offer_wake)}; "
                f"found by the poll {delays(self.offer_poll)}; 429s: {self.backlog_429}",
            ]
        )


@contextlib.asynccontextmanager
async def _sender(
    server: EmulatorServer, database_url: str, redis_url: str
) -> AsyncIterator[ChatSender]:
    db = Database(database_url)
    redis = connect(redis_url)
    request = HTTPXRequest(connection_pool_size=32, read_timeout=10.0)
    stop = asyncio.Event()
    try:
        async with Bot(server.token, base_url=server.api_base, request=request) as bot:
            # A lock of its own: run against a shared Redis, it never deposes a real sender.
            sender = ChatSender(
                db, redis, bot, SystemClock(), limits=SenderLimits.telegram(), name=LOCK
            )
            task = asyncio.create_task(sender.run(stop))
            await asyncio.wait_for(sender.elected.wait(), 30)
            try:
                yield sender
            finally:
                stop.set()
                await task
    finally:
        await redis.aclose()
        await db.dispose()


async def _queue(sender: ChatSender, messages: list[Outgoing], wake: bool = True) -> float:
    async with unit_of_work(sender.db, sender.clock) as uow:
        await submit_many(uow, messages, wake=sender.wake if wake else None)
    return time.perf_counter()


def _from_bot(server: EmulatorServer, chats: list[int]) -> int:
    return sum(len(server.emulator.messages(chat)) for chat in chats)


async def _throughput(
    redis_url: str, database_url: str, messages: int, report: SenderBenchReport
) -> None:
    async with EmulatorServer(limits=Limits()) as server:
        chats = [server.emulator.create_user(f"D{i}").id for i in range(report.chats)]
        batch = [
            Outgoing(
                f"{PREFIX}t{i}", chats[i % len(chats)], Lane.BULK, "sendMessage", {"text": f"t{i}"}
            )
            for i in range(messages)
        ]
        report.burst = min(messages - 1, SenderLimits.telegram().bot_burst)
        async with _sender(server, database_url, redis_url) as sender:
            start = await _queue(sender, batch)
            await server.wait_until(lambda: _from_bot(server, chats) >= report.burst, 60)
            report.burst_seconds = time.perf_counter() - start
            await server.wait_until(lambda: _from_bot(server, chats) >= messages, 10 + messages)
            report.seconds = time.perf_counter() - start
        report.throughput_429 = server.emulator.stats.count_429


async def _offers(
    redis_url: str, database_url: str, offers: int, report: SenderBenchReport, progress: Progress
) -> None:
    backlog = report.backlog
    async with EmulatorServer(limits=Limits()) as server:
        emu = server.emulator
        crowd = [emu.create_user(f"B{i}").id for i in range(report.backlog)]
        waiting = [emu.create_user(f"O{i}").id for i in range(2 * offers)]
        async with _sender(server, database_url, redis_url) as sender:
            await _queue(
                sender,
                [
                    Outgoing(f"{PREFIX}b{c}", c, Lane.BULK, "sendMessage", {"text": "news"})
                    for c in crowd
                ],
            )
            draining = min(100, backlog // 2)
            await server.wait_until(lambda: _from_bot(server, crowd) >= draining, 60)
            for n, chat in enumerate(waiting):
                wake = n % 2 == 0
                async with unit_of_work(sender.db, sender.clock) as uow:
                    payload = {"text": f"offer {n}"}
                    await submit(
                        uow, f"{PREFIX}o{n}", chat, Lane.OFFER, "sendMessage", payload,
                        wake=sender.wake if wake else None,
                    )  # fmt: skip
                start = time.perf_counter()
                await server.wait_for_message(chat, contains=f"offer {n}", timeout=30)
                delay = time.perf_counter() - start
                (report.offer_wake if wake else report.offer_poll).append(delay)
                progress(f"offer {n} ({'wake' if wake else 'poll'}): {delay:.3f} s")
                await asyncio.sleep(0.5)  # let the backlog take the bot's tokens back
            left = sum(sender.stats().queued.values())
            progress(f"{left} broadcast messages still queued at the end")
        report.backlog_429 = emu.stats.count_429


async def bench_sender(
    redis_url: str,
    database_url: str,
    *,
    messages: int = 900,
    backlog: int = 5_000,
    offers: int = 5,
    progress: Progress = lambda _: None,
) -> SenderBenchReport:
    """Run both measurements on a migrated database and a Redis; returns the report."""
    report = SenderBenchReport(
        limit=Limits().bot_per_second,
        messages=messages,
        chats=max(1, messages // 5),
        seconds=0.0,
        throughput_429=0,
        backlog=backlog,
    )
    db = Database(database_url)
    try:
        await _clean(db)
        progress(f"throughput: {messages} messages to {report.chats} chats")
        await _throughput(redis_url, database_url, messages, report)
        await _clean(db)
        progress(f"offers: {2 * offers} behind a {backlog}-message broadcast")
        await _offers(redis_url, database_url, offers, report, progress)
    finally:
        await _clean(db)
        await db.dispose()
    return report


async def _clean(db: Database) -> None:
    # The bench's sender would send any other waiting message to the emulator, where its
    # chat does not exist: a real queue would end up 'blocked'. Refuse such a database.
    async with db.write() as session:
        mine = col(ChatMessage.key).startswith(PREFIX)
        await session.exec(delete(ChatMessage).where(mine))
        others = (
            select(func.count()).select_from(ChatMessage).where(col(ChatMessage.state).in_(PENDING))
        )
        if (await session.exec(others)).one():
            raise BenchError("the database has chat messages waiting: use another database")


def build_parser() -> argparse.ArgumentParser:
    """The ``baton bench sender`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="baton bench sender",
        description="Chat sender throughput and offer delay against the emulator's real limits.",
    )
    parser.add_argument("--messages", type=int, default=900, help="throughput run (default 900)")
    parser.add_argument("--backlog", type=int, default=5_000, help="broadcast (default 5000)")
    parser.add_argument("--offers", type=int, default=5, help="offers of each kind (default 5)")
    parser.add_argument("--redis-url", help="an existing Redis; default: a private one")
    parser.add_argument("--database-url", help="a migrated database; default: a fresh SQLite")
    return parser


async def _run(args: argparse.Namespace) -> SenderBenchReport:
    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    async with bench_stores(
        args.redis_url, args.database_url, progress, prefix="baton-bench-sender-"
    ) as (redis_url, database_url):
        return await bench_sender(
            redis_url,
            database_url,
            messages=args.messages,
            backlog=args.backlog,
            offers=args.offers,
            progress=progress,
        )


def main(argv: list[str] | None = None) -> int:
    """Run ``baton bench sender`` with ``argv``; returns the exit code."""
    return run_bench("sender", _run(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
