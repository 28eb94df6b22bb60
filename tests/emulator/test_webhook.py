"""Webhook delivery to a real aiohttp receiver: secret header, failures, retries, 409."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict

from bots.emulator import EmulatorServer

SECRET = "s3cret-Token_1"


@dataclass
class Receiver:
    """A webhook endpoint that accepts only the expected secret."""

    expected: str | None = SECRET
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[str | None] = field(default_factory=list)
    refused: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if secret != self.expected:
            self.refused += 1
            return web.Response(status=403)
        self.headers.append(secret)
        self.received.append(await request.json())
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running webhook receiver on a free port."""
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()


async def test_update_delivered_with_secret(
    server: EmulatorServer, bot: Bot, receiver: Receiver
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token=SECRET)
    user = server.emulator.create_user("Ann")
    server.emulator.send_text(user.id, "/start")
    await server.wait_until(lambda: receiver.received)
    assert receiver.headers == [SECRET]
    update = Update.de_json(receiver.received[0], bot)
    assert update.message is not None and update.message.text == "/start"
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0
    assert server.emulator.stats.webhook_deliveries == 1


async def test_wrong_secret_is_retried_until_fixed(
    server: EmulatorServer, bot: Bot, receiver: Receiver
) -> None:
    emu = server.emulator
    await bot.set_webhook(receiver.url, secret_token="wrong-secret")
    user = emu.create_user("Ann")
    emu.send_text(user.id, "first")
    emu.send_text(user.id, "second")
    await server.wait_until(lambda: emu.stats.webhook_failures >= 3)  # retried, not dropped
    assert receiver.refused >= 3 and receiver.received == []
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 2
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
    assert info.last_error_date is not None
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    await server.wait_until(lambda: len(receiver.received) == 2)
    texts = [u["message"]["text"] for u in receiver.received]
    ids = [u["update_id"] for u in receiver.received]
    assert texts == ["first", "second"] and ids == sorted(ids)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_unreachable_webhook_keeps_updates(server: EmulatorServer, bot: Bot) -> None:
    emu = server.emulator
    await bot.set_webhook("http://127.0.0.1:9/nothing-listens-here")
    user = emu.create_user("Ann")
    emu.send_text(user.id, "hello")
    await server.wait_until(lambda: emu.stats.webhook_failures >= 1)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message
    assert await bot.delete_webhook()
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_get_updates_conflicts_while_webhook_set(
    server: EmulatorServer, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    with pytest.raises(Conflict, match=r"(?i)can.t use getUpdates method while webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_drop_pending_updates(server: EmulatorServer, bot: Bot, receiver: Receiver) -> None:
    emu = server.emulator
    user = emu.create_user("Ann")
    emu.send_text(user.id, "old")
    assert len(emu.bot().pending) == 1
    await bot.set_webhook(receiver.url, secret_token=SECRET, drop_pending_updates=True)
    emu.send_text(user.id, "new")
    await server.wait_until(lambda: receiver.received)
    assert [u["message"]["text"] for u in receiver.received] == ["new"]
