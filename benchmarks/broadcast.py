"""``baton bench broadcast``: a rule broadcast to 2,000 dealers at Telegram's real limits.

What runs is the bot as deployed, in one process: python-telegram-bot polling the Bot API
emulator (which enforces Telegram's flood limits and answers 429 past them), the bot's
consumer (which queues the broadcast chunk by chunk), the outbox relay and the chat
sender. A price-floor broadcast with an Acknowledge button goes to every dealer; some
dealers press it while it is being sent; halfway through, an order offer is queued for
another dealer. Figures, each against the limit:

* **throughput**: from the commit that starts the broadcast to the last dealer's message
  in the emulator, as messages a second and as a ratio of the bot-wide limit;
* **offer delay**: from the commit that queues the offer (found by the sender's poll, as a
  row committed by another process is) to its arrival; goal under two seconds;
* **exactly once**: dealers who got the broadcast once, twice, or not at all; 429s;
* **acknowledgements**: presses, and what ``GET /v1/broadcasts/{id}`` counts.

The test suite runs the same scenario with both limits scaled up (tests/broadcasts).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import select

from baton.runtime import open_runtime
from benchmarks.common import BenchError, bench_stores, run_bench
from bots.dealer.app import build_application, polling
from bots.dealer.events import HANDLERS as CHAT_EVENTS
from bots.emulator import EmulatorServer, Limits
from bots.emulator.models import StoredMessage
from bots.sender.limits import SenderLimits
from bots.sender.sender import ChatSender, SenderOptions
from services.broadcasts.fanout import start_broadcast
from services.broadcasts.models import Broadcast
from services.broadcasts.stats import counts
from services.catalog.models import Dealer
from shared.chat.models import ChatUser
from shared.chat.outbox import Lane, submit
from shared.db.uow import unit_of_work
from shared.runtime import Runtime, delivery_loops, running
from shared.settings import Settings

Progress = Callable[[str], None]
MARK = "Bench kettle"  # in every broadcast message, in both languages
PRICE = {
    "sku": "BENCH-1", "name": MARK, "floor": 19900, "currency": "CNY",
    "effective_at": "2026-07-01T00:00:00+08:00",
}  # fmt: skip
POLL_S = 0.02  # how often progress is checked (a cheap counter; chats are read at the end)


@dataclass
class BroadcastBenchReport:
    """What one run measured."""

    dealers: int
    limit: float  # the bot-wide limit both the emulator and the sender keep to, msg/s
    per_chat: float
    seconds: float = 0.0  # start commit → last dealer's message
    start_seconds: float = 0.0  # the caller's transaction: broadcast row and first chunk
    burst: int = 0
    burst_seconds: float = 0.0
    offer_delay: float = 0.0
    offer_at: int = 0  # broadcast messages already delivered when the offer was queued
    overtaken: int = 0  # broadcast messages that arrived after the offer
    received: Counter[int] = field(default_factory=Counter)  # per dealer chat
    count_429: int = 0
    sender_429: int = 0
    pressed: int = 0
    counted: dict[str, int] = field(default_factory=dict)
    ack_answers: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Broadcast messages a second, start to end."""
        return self.dealers / self.seconds

    @property
    def steady_rate(self) -> float:
        """Messages a second after the sender's initial burst."""
        return (self.dealers - self.burst) / max(self.seconds - self.burst_seconds, 1e-9)

    @property
    def requests_rate(self) -> float:
        """Broadcast messages and acknowledgement edits a second (they share the budget)."""
        return (self.dealers + self.pressed) / self.seconds

    @property
    def once(self) -> int:
        """Dealers who got the broadcast exactly once."""
        return sum(1 for n in self.received.values() if n == 1)

    @property
    def doubled(self) -> int:
        """Dealers who got it more than once."""
        return sum(1 for n in self.received.values() if n > 1)

    @property
    def missing(self) -> int:
        """Dealers who never got it."""
        return self.dealers - len(self.received)

    def format(self) -> str:
        """The report as text."""
        answers = (
            f"; answer to a press: median {statistics.median(self.ack_answers):.3f} s, "
            f"max {max(self.ack_answers):.3f} s"
            if self.ack_answers
            else ""
        )
        return "\n".join(
            [
                f"broadcast to {self.dealers:,} dealers vs the emulator enforcing "
                f"{self.limit:g} msg/s a bot and {self.per_chat:g} msg/s a chat "
                "(the sender keeps to the same numbers)",
                f"start        broadcast row and first chunk committed in "
                f"{self.start_seconds:.3f} s (the caller's transaction)",
                f"throughput   {self.dealers:,} messages in {self.seconds:.1f} s = "
                f"{self.rate:.1f} msg/s = {self.rate / self.limit:.3f} × the limit; after the "
                f"first {self.burst} (the sender's burst) {self.steady_rate:.2f} msg/s = "
                f"{self.steady_rate / self.limit:.3f} × the limit; with the {self.pressed} "
                f"acknowledgement edits sent meanwhile (same budget) "
                f"{self.requests_rate:.1f} requests/s = {self.requests_rate / self.limit:.3f} × "
                "the limit",
                f"offer delay  {self.offer_delay:.3f} s (goal < 2 s), queued after "
                f"{self.offer_at:,} of the broadcast's messages had arrived; "
                f"{self.overtaken:,} arrived after it",
                f"exactly once {self.once:,} dealers once, {self.doubled} twice or more, "
                f"{self.missing} missed; 429s: {self.count_429} from the emulator, "
                f"{self.sender_429} seen by the sender",
                f"acks         {self.pressed} pressed during the broadcast; counted "
                f"acknowledged {self.counted.get('acknowledged')}, delivered "
                f"{self.counted.get('delivered')}, failed {self.counted.get('failed')}, "
                f"blocked {self.counted.get('blocked')}{answers}",
            ]
        )


async def _network(runtime: Runtime, chat_ids: list[int]) -> None:
    now = runtime.clock.now()
    async with runtime.db.write() as session:
        if (await session.exec(select(func.count()).select_from(ChatUser))).one():
            raise BenchError("the database has chat users: give the bench a fresh one")
        session.add_all(
            Dealer(
                id=f"bench-{n}",
                name=f"Bench store {n}",
                region="Bench",
                city="Bench",
                lat=30.0,
                lon=104.0,
                service_radius_km=20.0,
                capabilities=["pickup"],
                capacity=5,
                updated_at=now,
            )
            for n in range(len(chat_ids))
        )
        await session.flush()
        session.add_all(
            ChatUser(
                user_id=chat,
                chat_id=chat,
                dealer_id=f"bench-{n}",
                role="owner",
                language=("en", "zh")[n % 2],
                name=f"Dealer {n}",
                bound_at=now,
            )
            for n, chat in enumerate(chat_ids)
        )


def _broadcast_message(server: EmulatorServer, chat: int) -> StoredMessage | None:
    for message in server.emulator.messages(chat):
        if message.from_bot and MARK in (message.text or ""):
            return message
    return None


def _arrived(server: EmulatorServer, chats: list[int]) -> Counter[int]:
    emu = server.emulator
    found: Counter[int] = Counter()
    for chat in chats:
        for message in emu.messages(chat):
            if message.from_bot and MARK in (message.text or ""):
                found[chat] += 1
    return found


async def _until(condition: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise BenchError(f"not done within {timeout:.0f} s")
        await asyncio.sleep(POLL_S)


async def run_broadcast(
    runtime: Runtime,
    server: EmulatorServer,
    *,
    dealers: int = 2_000,
    acks: int = 100,
    sender_limits: SenderLimits | None = None,
    progress: Progress = lambda _: None,
) -> BroadcastBenchReport:
    """The scenario on ``runtime`` (a fresh, migrated database) against ``server``."""
    limits = sender_limits or SenderLimits.telegram()
    emu = server.emulator
    report = BroadcastBenchReport(
        dealers=dealers, limit=emu.limiter.limits.bot_per_second,
        per_chat=emu.limiter.limits.private_per_second,
        burst=min(dealers - 1, limits.bot_burst),
    )  # fmt: skip
    chats = [
        emu.create_user(f"Dealer {n}", language_code=("en", "zh")[n % 2]).id for n in range(dealers)
    ]
    offer_chat = emu.create_user("Busy dealer").id
    await _network(runtime, chats)
    pressers = chats[:: max(1, dealers // acks)][:acks] if acks else []
    timeout = 60 + 3 * dealers / report.limit
    app = build_application(server.token, server.api_base, runtime)
    consumer = runtime.consumer("bot", CHAT_EVENTS)
    sender = ChatSender(runtime.db, runtime.redis, app.bot, runtime.clock, limits=limits,
                        options=SenderOptions(), name="bench-broadcast-sender")  # fmt: skip

    async def press(chat: int, message: StoredMessage) -> None:
        data = str(message.buttons()[0]["callback_data"])
        began = time.perf_counter()
        answer = await server.press(chat, message.message_id, data, timeout=30)
        report.ack_answers.append(time.perf_counter() - began)
        report.pressed += answer.answered

    async def pressing() -> None:
        """Each presser presses Acknowledge once their message is there (8 at a time)."""
        waiting, busy = list(pressers), set[asyncio.Task[None]]()
        while waiting or busy:
            for chat in list(waiting):
                found = _broadcast_message(server, chat)
                if found is not None and len(busy) < 8:
                    waiting.remove(chat)
                    busy.add(asyncio.create_task(press(chat, found)))
            if busy:
                done, _ = await asyncio.wait(busy, timeout=0.1)
                busy -= done
                for task in done:
                    task.result()
            else:
                await asyncio.sleep(0.1)

    def sends() -> int:  # cheap: successful sendMessage calls so far (errors are few or none)
        return emu.stats.calls["sendMessage"] - sum(emu.stats.errors.values())

    async with polling(app, poll_timeout=1), running(
        *delivery_loops(runtime), consumer.run, sender.run
    ):  # fmt: skip
        await asyncio.wait_for(sender.elected.wait(), 30)
        progress(f"broadcast to {dealers} dealers, {len(pressers)} of whom acknowledge")
        began = time.perf_counter()
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            broadcast_id = await start_broadcast(
                uow, kind="price", params=PRICE, region=None, created_by="bench",
                requires_ack=True,
            )  # fmt: skip
        committed = time.perf_counter()
        report.start_seconds = committed - began
        acking = asyncio.create_task(pressing())
        await _until(lambda: sends() >= report.burst, timeout)
        report.burst_seconds = time.perf_counter() - committed
        await _until(lambda: sends() >= dealers // 2, timeout)
        report.offer_at = sum(_arrived(server, chats).values())
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            payload = {"text": "New order BENCH: please answer"}
            await submit(uow, "bench:offer", offer_chat, Lane.OFFER, "sendMessage", payload)
        queued = time.perf_counter()
        await server.wait_for_message(offer_chat, contains="New order BENCH", timeout=timeout)
        report.offer_delay = time.perf_counter() - queued
        report.overtaken = dealers - sum(_arrived(server, chats).values())
        progress(f"offer arrived {report.offer_delay:.3f} s after it was queued")
        await _until(lambda: sends() >= dealers + 1, timeout)
        await _until(lambda: sum(_arrived(server, chats).values()) >= dealers, timeout)
        report.seconds = time.perf_counter() - committed
        progress(f"{dealers} messages in {report.seconds:.1f} s")
        await asyncio.wait_for(acking, timeout)
        await _settle(runtime, broadcast_id, report, timeout)
        report.received = _arrived(server, chats)
    report.count_429 = emu.stats.count_429
    report.sender_429 = sender.stats().rate_limited
    return report


async def _settle(
    runtime: Runtime,
    broadcast_id: str,
    report: BroadcastBenchReport,
    timeout: float,  # noqa: ASYNC109
) -> None:
    """Wait until the outbox has answered every message and counted every press."""

    async def numbers() -> dict[str, int]:
        async with runtime.db.read() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            return await counts(session, broadcast)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        report.counted = await numbers()
        done = report.counted["sent"] == report.dealers
        if done and report.counted["acknowledged"] >= report.pressed:
            return
        if loop.time() > deadline:
            raise BenchError(f"the broadcast did not settle: {report.counted}")
        await asyncio.sleep(0.1)


async def bench_broadcast(
    redis_url: str, database_url: str, *, dealers: int, acks: int, progress: Progress
) -> BroadcastBenchReport:
    """The scenario at Telegram's real limits on a migrated, empty database and a Redis."""
    settings = Settings(
        redis_url=redis_url, database_url=database_url, telegram_token="bench",
        block_ms=100, outbox_poll_ms=50, timer_poll_ms=200,
    )  # fmt: skip
    async with EmulatorServer(limits=Limits()) as server, open_runtime(settings) as runtime:
        return await run_broadcast(
            runtime, server, dealers=dealers, acks=acks, progress=progress,
            sender_limits=SenderLimits.telegram(),
        )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The ``baton bench broadcast`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="baton bench broadcast",
        description="A rule broadcast to N dealers at Telegram's real limits: throughput as a "
        "ratio of the limit, the delay of an order offer queued half-way, exactly-once, acks.",
    )
    parser.add_argument("--dealers", type=int, default=2_000, help="dealers (default 2000)")
    parser.add_argument("--acks", type=int, default=100, help="who press Acknowledge (100)")
    parser.add_argument("--redis-url", help="an existing Redis; default: a private one")
    parser.add_argument(
        "--database-url", help="a migrated database with no chat users; default: a fresh SQLite"
    )
    return parser


async def _run(args: argparse.Namespace) -> BroadcastBenchReport:
    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    async with bench_stores(
        args.redis_url, args.database_url, progress, prefix="baton-bench-broadcast-"
    ) as (redis_url, database_url):
        return await bench_broadcast(
            redis_url, database_url, dealers=args.dealers, acks=args.acks, progress=progress
        )


def main(argv: list[str] | None = None) -> int:
    """Run ``baton bench broadcast`` with ``argv``; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.dealers < 2 or args.acks < 0 or args.acks > args.dealers:
        print("baton bench broadcast: need --dealers ≥ 2 and 0 ≤ --acks ≤ --dealers",
              file=sys.stderr)  # fmt: skip
        return 2
    return run_bench("broadcast", _run(args))


if __name__ == "__main__":
    sys.exit(main())
