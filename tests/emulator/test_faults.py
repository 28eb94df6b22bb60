"""Injected faults seen through PTB and raw HTTP: 429, 5xx, delays, blocked users."""

from __future__ import annotations

import datetime as dtm

import pytest
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bots.emulator import EmulatorClient, EmulatorError, EmulatorServer
from tests.emulator.support import raw_call


async def test_injected_429(
    server: EmulatorServer, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    user = server.emulator.create_user("Ann")
    server.emulator.inject_fault("429", method="sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.id, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert (await bot.send_message(user.id, "hi")).message_id == 1  # only the next call
    stats = server.emulator.stats
    assert stats.count_429 == 1 and stats.limited_429 == 0 and stats.injected["429"] == 1


@pytest.mark.parametrize(
    ("status", "description"), [(500, "Internal Server Error"), (502, "Bad Gateway")]
)
async def test_injected_5xx(
    server: EmulatorServer, bot: Bot, status: int, description: str
) -> None:
    user = server.emulator.create_user("Ann")
    server.emulator.inject_fault("5xx", status=status, count=2)
    with pytest.raises(NetworkError, match=description):
        await bot.send_message(user.id, "hi")
    code, body = await raw_call(server, "sendMessage", chat_id=user.id, text="hi")
    assert (code, body) == (status, {"ok": False, "error_code": status, "description": description})
    assert (await bot.send_message(user.id, "hi")).text == "hi"


async def test_untargeted_faults_spare_polling(server: EmulatorServer) -> None:
    user = server.emulator.create_user("Ann")
    server.emulator.inject_fault("5xx")
    status, _ = await raw_call(server, "getUpdates", timeout=0)
    assert status == 200
    status, _ = await raw_call(server, "sendMessage", chat_id=user.id, text="x")
    assert status == 500


async def test_fault_scoped_to_method_and_chat(server: EmulatorServer) -> None:
    emu = server.emulator
    a, b = emu.create_user("A"), emu.create_user("B")
    emu.inject_fault("5xx", method="sendmessage", chat_id=b.id)
    assert (await raw_call(server, "getMe"))[0] == 200
    assert (await raw_call(server, "sendMessage", chat_id=a.id, text="x"))[0] == 200
    assert (await raw_call(server, "sendMessage", chat_id=b.id, text="x"))[0] == 500
    assert (await raw_call(server, "sendMessage", chat_id=b.id, text="x"))[0] == 200


async def test_delay_makes_ptb_time_out_but_message_lands(server: EmulatorServer) -> None:
    user = server.emulator.create_user("Ann")
    server.emulator.inject_fault("delay", delay=0.6, method="sendMessage")
    impatient = Bot(server.token, base_url=server.api_base, request=HTTPXRequest(read_timeout=0.2))
    async with impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(user.id, "slow")
    # Like Telegram, the request still completes: the classic "timed out but sent" duplicate.
    message = await server.wait_for_message(user.id, contains="slow")
    assert message.message_id == 1


async def test_blocked_user_until_unblocked(server: EmulatorServer, bot: Bot) -> None:
    emu = server.emulator
    user, other = emu.create_user("Ann"), emu.create_user("Bob")
    emu.inject_fault("blocked", chat_id=user.id)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(user.id, "hi")
    assert (await bot.send_message(other.id, "hi")).message_id == 1
    with pytest.raises(EmulatorError, match="blocked"):
        emu.send_text(user.id, "can I?")
    kinds = [next(k for k in u if k != "update_id") for u in emu.bot().pending]
    assert kinds == ["my_chat_member"]
    assert emu.bot().pending[0]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    emu.unblock(user.id)
    assert (await bot.send_message(user.id, "welcome back")).message_id == 1
    assert emu.stats.errors[403] == 2


async def test_faults_over_http_client(server: EmulatorServer, client: EmulatorClient) -> None:
    user = await client.create_user("Ann")
    fault = await client.inject_fault("429", count=2, method="sendMessage", retry_after=3)
    assert fault["count"] == 2
    for _ in range(2):
        status, body = await raw_call(server, "sendMessage", chat_id=user["id"], text="x")
        assert (status, body["parameters"]) == (429, {"retry_after": 3})
    await client.inject_fault("blocked", chat_id=user["id"])
    assert (await raw_call(server, "sendMessage", chat_id=user["id"], text="x"))[0] == 403
    await client.unblock(user["id"])
    await client.inject_fault("5xx", status=502)
    await client.clear_faults()
    assert (await raw_call(server, "sendMessage", chat_id=user["id"], text="x"))[0] == 200
    stats = await client.stats()
    assert stats["count_429"] == 2 and stats["count_429_by_chat"] == {str(user["id"]): 2}
