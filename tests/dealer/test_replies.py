"""Direct replies at Telegram's real per-chat limit, and what a user reads when a handler fails."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.bus.support import eventually
from tests.dealer.conftest import Chats


async def _bot_texts(chats: Chats, chat_id: int, after: int) -> list[str]:
    messages = await chats.emu.messages(chat_id, after=after)
    return [m.get("text") or "" for m in messages if m.get("from_bot")]


async def test_eight_commands_in_a_second_all_get_their_reply(chats: Chats) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner")
    # Telegram's own numbers: a private chat takes about one message a second (burst 3).
    await chats.emu.set_limits(private_per_second=1.0, private_burst=3)
    before = await chats.last_id(owner)
    await asyncio.gather(*(chats.say(owner, f"/delivered NOPE{n:02d}") for n in range(8)))

    async def all_answered() -> bool:
        texts = await _bot_texts(chats, owner, before)
        return sum("No open order NOPE" in t for t in texts) == 8

    await eventually(all_answered, timeout=60, interval=0.2)
    stats = await chats.emu.stats()
    assert stats["count_429_by_chat"].get(str(owner), 0) >= 1  # the limit did bite


async def test_a_failed_reply_is_logged_and_the_user_is_told(
    chats: Chats, caplog: pytest.LogCaptureFixture
) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner", "zh")
    before = await chats.last_id(owner)
    await chats.emu.inject_fault("5xx", method="sendMessage", chat_id=owner, status=500)
    with caplog.at_level(logging.ERROR, logger="bots.dealer.errors"):
        await chats.say(owner, "/orders")
        await chats.expect(owner, "抱歉，我们这边出了点问题", after=before)
    [record] = [r for r in caplog.records if r.name == "bots.dealer.errors"]
    assert f"from user {owner}" in record.getMessage() and "'/orders'" in record.getMessage()
    assert record.exc_info is not None
