"""``baton bench burst``: the first minutes of 11.11, into a whole Baton with its chat bot.

A network of dealers is written to the tables and each store's owner is bound to a chat
user of the Telegram emulator, which runs in the bench's process with Telegram's limits
(30 messages a second for the bot, one a second for a chat). Baton runs as deployed in two
processes, ``baton run api stock orders`` and ``baton run bot`` (its sender included), on
the bench's Redis and database. Then C clients POST N orders at once, each sending its next
as soon as the API has answered the last: a shop emptying its queue. The bench notes each
POST's answer and time, reads the order events to learn which dealer each order was
offered to, and watches the emulator's chats until every order's offer is in its dealer's
chat.

The baseline is Telegram's limit: N offers at 30 messages a second is the least time the
last offer can take, whatever Baton does; the report gives the time it took as a ratio of
that. Also printed: POSTs answered 201 (and anything else), accepted per second, the POST
latency, 429s the emulator answered, and each process's CPU per order.
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from baton.registry import DEV_BOT_TOKEN
from baton.runtime import open_runtime
from benchmarks.common import BenchError
from benchmarks.orders import EVENTS, OFFERED, ONE_PROCESS, check_empty, order_body, seed
from benchmarks.processes import Deployment, deployed
from benchmarks.routing import describe, make_network, make_orders, percentile, warehouse
from bots.emulator import EmulatorServer, Limits
from shared.bus.connection import connect
from shared.bus.streams import FIELD
from shared.chat.i18n import t
from shared.chat.identity import create_invite, redeem
from shared.chat.render import order_ref
from shared.db.uow import unit_of_work
from shared.messages import Envelope
from shared.runtime import Runtime
from shared.settings import Settings

Progress = Callable[[str], None]
PROGRESS_EVERY_S = 5.0
WATCH_EVERY_S = 0.1
BOT_PROCESS = "bot"
LANGUAGE = "en"  # the chat users' language
# The offer message's first line, from the catalog: "New order REF: please answer by …".
OFFER_TITLE = re.compile(
    "^"
    + re.escape(t(LANGUAGE, "offer.title", ref="\0", deadline="").split("\0")[0])
    + r"(?P<ref>[0-9A-Z]+)"
)


@dataclass
class BurstReport:
    """What the burst measured."""

    orders: int
    clients: int
    dealers: int
    environment: str
    bot_limit: float  # messages a second for the bot, Telegram's and the emulator's
    post_s: list[float] = field(default_factory=list)  # each 201's latency
    refused: Counter[str] = field(default_factory=Counter)  # anything but 201, by status
    accept_s: float = 0.0  # the first POST sent to the last 201
    last_offer_s: float = 0.0  # the first POST sent to the last offer in its chat
    offers_in_chats: int = 0
    busiest_chat: int = 0  # offers in the chat that was offered the most
    chat_limit: float = 1.0  # messages a second to one chat
    chat_burst: int = 3  # messages a chat takes at once before its limit applies
    count_429: int = 0
    cpu_by_process: dict[str, float] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        """POSTs answered 201."""
        return len(self.post_s)

    @property
    def floor_s(self) -> float:
        """The least time the offers can take: N at the bot's limit, or the busiest chat's
        at a chat's, whichever is longer."""
        busiest = max(0, self.busiest_chat - self.chat_burst) / self.chat_limit
        return max(self.orders / self.bot_limit, busiest)

    def format(self) -> str:
        """The report as text."""
        per_s = self.accepted / self.accept_s if self.accept_s else 0.0
        refused = ", ".join(f"{n:,} × {status}" for status, n in self.refused.items()) or "none"
        offer_rate = self.offers_in_chats / self.last_offer_s if self.last_offer_s else 0.0
        cpu = ", ".join(
            f"{name} {seconds * 1e3 / self.orders:.1f} ms"
            for name, seconds in self.cpu_by_process.items()
        )
        total_cpu = sum(self.cpu_by_process.values()) * 1e3 / self.orders
        return "\n".join(
            [
                f"Baton burst benchmark: {self.orders:,} orders POSTed at once by "
                f"{self.clients} clients into a whole Baton (bot and sender included), "
                f"{self.dealers:,} dealers each with a chat",
                f"environment: {self.environment}",
                "",
                f"POSTs answered 201            {self.accepted:,}/{self.orders:,} "
                f"(refused or failed: {refused})",
                f"accepted per second           {per_s:,.1f} (the last 201 after "
                f"{self.accept_s:.1f} s)",
                f"POST -> 201 latency           p50 {percentile(self.post_s, 0.5) * 1e3:,.0f} ms, "
                f"p99 {percentile(self.post_s, 0.99) * 1e3:,.0f} ms, "
                f"max {max(self.post_s, default=0) * 1e3:,.0f} ms",
                f"offers in their dealers' chats {self.offers_in_chats:,}/{self.orders:,}, the "
                f"last after {self.last_offer_s:.1f} s",
                f"Telegram's pacing (baseline)  {self.floor_s:.1f} s: {self.orders:,} offers at "
                f"{self.bot_limit:g} msg/s a bot, the busiest chat's {self.busiest_chat:,} at "
                f"{self.chat_limit:g} msg/s a chat (after {self.chat_burst} at once); the last "
                f"offer came at {self.last_offer_s / self.floor_s:.2f}× that",
                f"offers delivered per second   {offer_rate:.1f} = "
                f"{offer_rate / self.bot_limit:.2f}× the bot's limit",
                f"429s from the emulator        {self.count_429:,}",
                f"CPU per order                 {total_cpu:.1f} ms ({cpu})",
                "",
                "Times run from the first POST sent. An order's offer counts once the bot's "
                "message naming it is in the chat of the dealer the order was offered to.",
            ]
        )


class ChatWatcher:
    """Learns which dealer each order was offered to, and sees the offers reach the chats."""

    def __init__(self, emulator: EmulatorServer, chats: dict[str, int], reader: Redis) -> None:
        self.emulator = emulator
        self.chats = chats  # dealer id -> their owner's chat
        self.reader = reader
        self.after = "0-0"
        self.offered_to: dict[str, set[str]] = {}  # order id -> dealers offered it
        self.in_chat: dict[str, float] = {}  # order id -> when its offer was first seen
        self._last_message: Counter[int] = Counter()  # chat -> the newest message seen
        self._refs: dict[str, dict[str, float]] = {}  # ref -> dealer whose chat has it -> when

    async def read_events(self) -> None:
        """Take the new OrderOffered events off the order-events stream."""
        reply: Any = await self.reader.xread({EVENTS: self.after}, count=1000)
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                self.after = entry_id
                envelope = Envelope.decode(fields[FIELD.encode()])
                if envelope.name == OFFERED:
                    order_id = str(envelope.payload["order_id"])
                    dealer = str(envelope.payload["dealer_id"])
                    self.offered_to.setdefault(order_id, set()).add(dealer)

    def read_chats(self) -> None:
        """Note the offers the bot has sent since the last look."""
        now = time.perf_counter()
        for dealer, chat in self.chats.items():
            for message in self.emulator.emulator.messages(chat, after=self._last_message[chat]):
                self._last_message[chat] = message.message_id
                found = OFFER_TITLE.match(message.text or "") if message.from_bot else None
                if found:
                    self._refs.setdefault(found["ref"], {}).setdefault(dealer, now)

    def settle(self, orders: list[str]) -> int:
        """Mark the orders whose offer is in a chat it was offered to; returns how many are."""
        for order_id in orders:
            if order_id in self.in_chat:
                continue
            dealers = self.offered_to.get(order_id, set())
            chats = self._refs.get(order_ref(order_id), {})
            seen = [at for dealer, at in chats.items() if dealer in dealers]
            if seen:
                self.in_chat[order_id] = min(seen)
        return len(self.in_chat)


class Shop:
    """C clients posting orders as fast as the API answers them."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        self.http = http
        self.url = url + "/v1/orders"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.ids: list[str] = []
        self.latencies: list[float] = []
        self.refused: Counter[str] = Counter()
        self.last_answer = 0.0

    async def post(self, body: dict[str, Any]) -> None:
        """POST one order and note its answer."""
        start = time.perf_counter()
        try:
            async with self.http.post(self.url, json=body, headers=self.headers) as answer:
                data = await answer.json()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.refused[type(exc).__name__] += 1
            return
        if status != 201:
            self.refused[str(status)] += 1
            return
        self.last_answer = time.perf_counter()
        self.latencies.append(self.last_answer - start)
        self.ids.append(str(data["id"]))

    async def post_all(self, bodies: list[dict[str, Any]], clients: int) -> None:
        """Post every body, ``clients`` at a time."""
        queue = iter(bodies)

        async def client() -> None:
            for body in queue:
                await self.post(body)

        await asyncio.gather(*(client() for _ in range(clients)))


async def bind_owners(
    runtime: Runtime, emulator: EmulatorServer, dealer_ids: list[str]
) -> dict[str, int]:
    """A chat user for each dealer, bound as its owner (as an invitation would); their chats."""
    chats = {}
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        for dealer_id in dealer_ids:
            user = emulator.emulator.create_user(
                f"Owner {dealer_id}", username=None, language_code=LANGUAGE
            )
            invite = await create_invite(uow, dealer_id, "owner", created_by="bench")
            await redeem(uow, invite.code, user.id, user.id, user.first_name, LANGUAGE)
            chats[dealer_id] = user.id
    return chats


async def run_burst_bench(
    redis_url: str,
    database_url: str,
    *,
    orders: int = 5_000,
    clients: int = 32,
    dealers: int = 200,
    pickup_share: float = 0.6,
    progress: Progress | None = None,
) -> BurstReport:
    """Run a whole Baton on ``redis_url`` and the migrated, empty ``database_url``; burst."""
    if orders < 1 or clients < 1 or dealers < 1 or not 0 <= pickup_share <= 1:
        raise BenchError("orders, clients and dealers must be 1 or more, pickup share 0 to 1")

    def say(text_: str) -> None:
        if progress is not None:
            progress(text_)

    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="baton-bench-burst-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), redis_url=redis_url, database_url=database_url, api_token=token
        )
        limits = Limits()  # Telegram's
        async with (
            open_runtime(settings) as runtime,
            EmulatorServer(tokens=[DEV_BOT_TOKEN], limits=limits) as emulator,
        ):
            await check_empty(runtime.db)
            network = [warehouse(), *make_network(dealers, ample=True)]
            say(f"writing {dealers:,} dealers, their stock and products; binding their chats…")
            await seed(runtime.db, network)
            chats = await bind_owners(runtime, emulator, [d.id for d in network])
            redis_text, db_text = await describe(runtime.redis, redis_url, runtime.db)
            report = BurstReport(
                orders, clients, dealers,
                f"Python {platform.python_version()}, Redis {redis_text}, {db_text}, "
                f"{os.cpu_count()} CPUs; `baton run api stock orders` and `baton run bot` "
                "as two processes, the emulator and the clients in the bench's",
                limits.bot_per_second, chat_limit=limits.private_per_second,
                chat_burst=limits.private_burst,
            )  # fmt: skip
            env = {
                "redis_url": redis_url, "database_url": database_url, "api_token": token,
                "pickup_key": secrets.token_urlsafe(24), "telegram_token": DEV_BOT_TOKEN,
                "telegram_api_url": emulator.api_base,
            }  # fmt: skip
            say("starting Baton: api, stock and orders in one process, the bot in another…")
            layout = {ONE_PROCESS: 1, BOT_PROCESS: 1}
            async with deployed(Path(tmp), env, layout) as deployment:
                facts = make_orders(orders, dealers, pickup_share)
                run = secrets.token_hex(4)
                bodies = [order_body(f"{run}-{i}", f) for i, f in enumerate(facts)]
                await _burst(runtime, emulator, deployment, chats, bodies, report, say)
        return report


async def _burst(
    runtime: Runtime,
    emulator: EmulatorServer,
    deployment: Deployment,
    chats: dict[str, int],
    bodies: list[dict[str, Any]],
    report: BurstReport,
    say: Progress,
) -> None:
    reader = connect(runtime.redis_url)
    watcher = ChatWatcher(emulator, chats, reader)
    newest: Any = await runtime.redis.xrevrange(EVENTS, count=1)
    watcher.after = newest[0][0] if newest else "0-0"
    cpu_before = {w.name: w.cpu() for w in deployment.workers}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            shop = Shop(http, deployment.api_urls[0], runtime.settings.api_token or "")
            say(f"posting {report.orders:,} orders with {report.clients} clients at once…")
            start = time.perf_counter()
            posting = asyncio.create_task(shop.post_all(bodies, report.clients))
            await _watch(watcher, shop, posting, report, start, say)
            report.accept_s = shop.last_answer - start
            report.post_s = shop.latencies
            report.refused = shop.refused
    finally:
        await reader.aclose()
    report.offers_in_chats = len(watcher.in_chat)
    per_chat = Counter(d for dealers in watcher.offered_to.values() for d in dealers)
    report.busiest_chat = max(per_chat.values(), default=0)
    report.last_offer_s = max(watcher.in_chat.values(), default=start) - start
    report.count_429 = emulator.emulator.stats.count_429
    report.cpu_by_process = {
        w.name: w.cpu() - cpu_before.get(w.name, 0.0) for w in deployment.workers
    }


async def _watch(
    watcher: ChatWatcher,
    shop: Shop,
    posting: asyncio.Task[None],
    report: BurstReport,
    start: float,
    say: Progress,
) -> None:
    # Until every accepted order's offer is in its chat; the time allowed grows with the
    # orders, as the least time their offers can take does.
    timeout_s = 120 + 3 * report.floor_s
    next_note = start + PROGRESS_EVERY_S
    while True:
        await asyncio.sleep(WATCH_EVERY_S)
        await watcher.read_events()
        watcher.read_chats()
        delivered = watcher.settle(shop.ids)
        now = time.perf_counter()
        if posting.done():
            if posting.exception() is not None:
                raise BenchError(f"the clients failed: {posting.exception()!r}")
            if delivered == len(shop.ids):
                say(f"{delivered:,} offers in their chats after {now - start:.1f} s")
                return
        if now - start > timeout_s:
            say(f"gave up after {timeout_s:.0f} s: {delivered:,}/{len(shop.ids):,} offers in chats")
            return
        if now >= next_note:
            say(
                f"  {now - start:5.0f} s: {len(shop.ids):,} accepted, "
                f"{sum(shop.refused.values()):,} refused, {delivered:,} offers in chats"
            )
            next_note += PROGRESS_EVERY_S
