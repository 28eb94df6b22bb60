"""The bot's broadcast side in its own process, for the test that kills it with SIGKILL.

It runs what ``baton run bot`` runs for a broadcast — the bot's consumer (which queues
the broadcast chunk by chunk), the outbox relay and the chat sender — with the test's
scaled-up limits, small chunks, and a pause before each chunk so that the kill lands while
the broadcast is still being queued as well as sent.

Usage: python -m tests.broadcasts.worker REDIS_URL DATABASE_URL API_BASE TOKEN CHUNK PAUSE_S
"""

from __future__ import annotations

import asyncio
import sys

from telegram import Bot
from telegram.request import HTTPXRequest

from baton.runtime import open_runtime
from bots.dealer.events import HANDLERS as CHAT_EVENTS
from bots.sender.limits import SenderLimits
from bots.sender.sender import ChatSender, SenderOptions
from services.broadcasts import fanout
from shared.bus.handling import Context
from shared.messages.broadcasts import ContinueBroadcast
from shared.runtime import delivery_loops, running
from shared.settings import Settings

RATE = 400.0
LIMITS = SenderLimits(bot_per_second=RATE, bot_burst=int(RATE / 3), private_per_second=1.0)
OPTIONS = SenderOptions(concurrency=16, poll_ms=50, leader_ttl_ms=1000)


async def main(
    redis_url: str, database_url: str, api_base: str, token: str, chunk: str, pause: str
) -> None:
    fanout.CHUNK = int(chunk)

    async def slow_continue(event: ContinueBroadcast, ctx: Context) -> None:
        await asyncio.sleep(float(pause))
        await fanout.continue_broadcast(event, ctx)

    settings = Settings(
        redis_url=redis_url, database_url=database_url, telegram_token=token,
        block_ms=100, outbox_poll_ms=50, timer_poll_ms=50, claim_idle_ms=500,
    )  # fmt: skip
    async with open_runtime(settings) as runtime:
        consumer = runtime.consumer("bot", {**CHAT_EVENTS, ContinueBroadcast: slow_continue})
        request = HTTPXRequest(connection_pool_size=OPTIONS.concurrency, read_timeout=10.0)
        async with Bot(token, base_url=api_base, request=request) as bot:
            sender = ChatSender(
                runtime.db, runtime.redis, bot, runtime.clock, limits=LIMITS, options=OPTIONS
            )
            async with running(*delivery_loops(runtime), consumer.run, sender.run):
                await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
