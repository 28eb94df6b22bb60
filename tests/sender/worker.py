"""A chat sender in its own process, for the test that kills it with SIGKILL mid-run.

Usage: python -m tests.sender.worker REDIS_URL DATABASE_URL API_BASE TOKEN
"""

from __future__ import annotations

import asyncio
import sys

from telegram import Bot
from telegram.request import HTTPXRequest

from bots.sender.limits import SenderLimits
from bots.sender.sender import ChatSender, SenderOptions
from shared.bus.connection import connect
from shared.clock import SystemClock
from shared.db.engine import Database

LIMITS = SenderLimits(bot_per_second=200, bot_burst=20, private_per_second=50, private_burst=5)
OPTIONS = SenderOptions(concurrency=8, poll_ms=50, leader_ttl_ms=1000)


async def main(redis_url: str, database_url: str, api_base: str, token: str) -> None:
    request = HTTPXRequest(connection_pool_size=OPTIONS.concurrency, read_timeout=10.0)
    async with Bot(token, base_url=api_base, request=request) as bot:
        sender = ChatSender(
            Database(database_url),
            connect(redis_url),
            bot,
            SystemClock(),
            limits=LIMITS,
            options=OPTIONS,
        )
        await sender.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
