"""Helpers for sender tests: a PTB Bot on the emulator, a running sender, reading chats."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlmodel import col, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bots.emulator import EmulatorServer
from bots.sender.limits import SenderLimits
from bots.sender.sender import ChatSender, SenderOptions
from shared.chat.models import ChatMessage
from shared.chat.outbox import Outgoing
from shared.db.engine import Database
from shared.db.models import OutboxRow

# Far above what the tests send, far below nothing: the point of these tests is not pacing.
FAST = SenderLimits(bot_per_second=400, bot_burst=40, private_per_second=100, private_burst=5)
# The leader's lock lives 6 s: on a loaded machine a 1.5 s stall let the follower take over
# mid-test; a leader that stops cleanly still hands over at once.
QUICK = SenderOptions(
    concurrency=16, backoff_base_s=0.05, backoff_max_s=0.2, poll_ms=50, leader_ttl_ms=6000
)


def ptb_bot(server: EmulatorServer, read_timeout: float = 5.0, pool: int = 32) -> Bot:
    """A PTB Bot on the emulator with a pool large enough for the sender's concurrency."""
    request = HTTPXRequest(
        connection_pool_size=pool, connect_timeout=2.0, read_timeout=read_timeout
    )
    return Bot(
        server.token, base_url=server.api_base, base_file_url=server.file_base, request=request
    )


@asynccontextmanager
async def running(*senders: ChatSender) -> AsyncIterator[None]:
    """Run senders for the block; stop them (and wait for them) after it."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(sender.run(stop)) for sender in senders]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


def text_message(key: str, chat_id: int, lane: int = 3, text: str | None = None) -> Outgoing:
    """A sendMessage whose text is its key (so a chat shows what arrived, and how often)."""
    return Outgoing(key, chat_id, lane, "sendMessage", {"text": text or key})


def bot_texts(server: EmulatorServer, chat_id: int) -> list[str]:
    """The texts the bot sent to a chat, in arrival order."""
    return [m.text or m.caption or "" for m in server.emulator.messages(chat_id) if m.from_bot]


def delivered(server: EmulatorServer, chat_ids: list[int]) -> Counter[str]:
    """How often each text arrived, over these chats."""
    return Counter(text for chat in chat_ids for text in bot_texts(server, chat))


async def states(db: Database) -> Counter[str]:
    """How many outbox rows are in each state."""
    async with db.read() as session:
        rows = (await session.exec(select(ChatMessage.state))).all()
    return Counter(rows)


async def row(db: Database, key: str) -> ChatMessage:
    """One outbox row."""
    async with db.read() as session:
        found = await session.get(ChatMessage, key)
    assert found is not None, key
    return found


async def alerts(db: Database) -> list[dict[str, Any]]:
    """Payloads of the HqAlertRaised messages waiting in the bus outbox."""
    async with db.read() as session:
        rows = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    envelopes = [json.loads(r.envelope) for r in rows]
    return [e["payload"] for e in envelopes if e["name"] == "system.HqAlertRaised"]
