"""Telegram's real limits on: a broadcast drains with zero 429s and an offer jumps the queue.

Scaled from 1,000 messages to 200 chats down to 300 to 60 chats so that the run stays near
ten seconds at 30 messages a second; the shape (five messages a chat, the bot-wide limit
the bottleneck, an offer submitted mid-way) is the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bots.emulator import EmulatorServer, Limits
from bots.sender.limits import SenderLimits
from bots.sender.sender import ChatSender, SenderOptions
from shared.chat.outbox import Lane, submit, submit_many
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from tests.sender.conftest import TOKEN
from tests.sender.support import bot_texts, ptb_bot, running, states, text_message

CHATS = 60
PER_CHAT = 5


@pytest.fixture
async def telegram_like() -> AsyncIterator[EmulatorServer]:
    """An emulator enforcing Telegram's numbers: 30/s a bot, 1/s (burst 3) a chat."""
    async with EmulatorServer(tokens=[TOKEN], limits=Limits()) as server:
        yield server


async def test_broadcast_with_real_limits_has_no_429_and_the_offer_overtakes_it(
    db: Database, redis: Redis, clock: FakeClock, telegram_like: EmulatorServer
) -> None:
    server = telegram_like
    emu = server.emulator
    chats = [emu.create_user(f"Dealer {i}").id for i in range(CHATS)]
    offer_chat = emu.create_user("Busy dealer").id
    broadcast = [text_message(f"b{i}:{c}", c) for i in range(PER_CHAT) for c in chats]
    total = len(broadcast)

    def arrived() -> list[int]:
        """Global arrival order (emulator revision) of every broadcast message so far."""
        return [m.revision for c in chats for m in emu.messages(c) if m.from_bot]

    async with ptb_bot(server) as bot:
        sender = ChatSender(
            db, redis, bot, clock, limits=SenderLimits.telegram(), options=SenderOptions()
        )
        async with unit_of_work(db, clock) as uow:
            await submit_many(uow, broadcast, wake=sender.wake)
        async with running(sender):
            await server.wait_until(lambda: len(arrived()) >= total // 4, timeout=30)
            async with unit_of_work(db, clock) as uow:
                # One offer to a chat with nothing queued, one to a chat deep in the backlog.
                await submit(uow, "offer:1", offer_chat, Lane.OFFER, "sendMessage",
                             {"text": "offer:1"}, wake=sender.wake)  # fmt: skip
                await submit(uow, "offer:2", chats[-1], Lane.OFFER, "sendMessage",
                             {"text": "offer:2"}, wake=sender.wake)  # fmt: skip
            at_submit = len(arrived())
            offer_1 = await server.wait_for_message(offer_chat, contains="offer:1", timeout=10)
            offer_2 = await server.wait_for_message(chats[-1], contains="offer:2", timeout=10)
            await server.wait_until(lambda: len(arrived()) >= total + 1, timeout=30)

    assert emu.stats.count_429 == 0
    assert sender.stats().rate_limited == 0
    assert await states(db) == {"sent": total + 2}
    for chat in chats:
        texts = [t for t in bot_texts(server, chat) if t.startswith("b")]
        assert texts == [f"b{i}:{chat}" for i in range(PER_CHAT)]  # once each, in order
    assert bot_texts(server, offer_chat) == ["offer:1"]
    assert bot_texts(server, chats[-1]).count("offer:2") == 1
    # Each offer overtook nearly all of the backlog left when it was submitted: only the
    # requests already in flight or on their way out (a fraction of a second's worth) went
    # before it.
    backlog = total - at_submit
    for offer in (offer_1, offer_2):
        ahead = sum(r < offer.revision for r in arrived()) - at_submit
        assert ahead < 30 < backlog - ahead, (ahead, backlog)
