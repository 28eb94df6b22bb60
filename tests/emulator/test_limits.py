"""Flood limits: token buckets on an injected clock, 429 answers, PTB's RetryAfter, counters."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bots.emulator import EmulatorServer, Limits, ManualClock, RateLimiter
from bots.emulator.limits import clock_seconds
from shared.clock import FakeClock
from tests.emulator.support import TOKEN, raw_call


@pytest.fixture
async def clocked(emu_clock: ManualClock) -> AsyncIterator[EmulatorServer]:
    """An emulator whose flood limits run on the test's clock."""
    srv = EmulatorServer(tokens=[TOKEN], clock=emu_clock)
    await srv.start()
    yield srv
    await srv.stop()


def test_private_chat_bucket(emu_clock: ManualClock) -> None:
    limiter = RateLimiter(Limits(), emu_clock)
    for _ in range(3):
        assert limiter.retry_after(1, 10, group=False) is None
        limiter.consume(1, 10, group=False)
    assert limiter.retry_after(1, 10, group=False) == 1
    assert limiter.retry_after(1, 11, group=False) is None  # other chats unaffected
    emu_clock.advance(0.5)
    assert limiter.retry_after(1, 10, group=False) == 1  # 0.5 s still to go, rounded up
    emu_clock.advance(0.5)
    assert limiter.retry_after(1, 10, group=False) is None


def test_group_bucket_and_switching_off(emu_clock: ManualClock) -> None:
    limiter = RateLimiter(Limits(), emu_clock)
    for _ in range(20):
        limiter.consume(1, -5, group=True)
        emu_clock.advance(1)
    assert limiter.retry_after(1, -5, group=True) == 40  # the first send (t=0) leaves at t=60
    emu_clock.advance(39.5)
    assert limiter.retry_after(1, -5, group=True) == 1
    emu_clock.advance(0.5)
    assert limiter.retry_after(1, -5, group=True) is None
    limiter.limits = Limits.off()
    for _ in range(100):
        limiter.consume(1, -5, group=True)
    assert limiter.retry_after(1, -5, group=True) is None


def test_clock_flavours() -> None:
    fake = FakeClock(dtm.datetime(2026, 1, 1, tzinfo=dtm.UTC))
    assert clock_seconds(fake) == fake.now().timestamp()
    assert clock_seconds(lambda: dtm.datetime(2026, 1, 1, tzinfo=dtm.UTC)) == fake.now().timestamp()
    assert clock_seconds(lambda: 12.5) == 12.5


async def test_five_fast_messages_to_one_chat(
    server: EmulatorServer, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = server.emulator.create_user("Ann")
    results = await asyncio.gather(
        *(raw_call(server, "sendMessage", chat_id=user.id, text=f"m{i}") for i in range(5))
    )
    refused = [body for status, body in results if status == 429]
    sent = sum(status == 200 for status, _ in results)
    assert refused and sent + len(refused) == 5 and sent >= 3  # burst of 3, then 1/s
    retry_after = refused[0]["parameters"]["retry_after"]
    assert retry_after >= 1
    assert refused[0] == {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    with pytest.raises(RetryAfter) as caught:
        for _ in range(5):  # a slow machine may have refilled a token meanwhile
            await bot.send_message(user.id, "one more")
            sent += 1
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    stats = server.emulator.stats
    assert stats.count_429 == len(refused) + 1 == stats.count_429_by_chat[user.id]
    assert len(server.emulator.messages(user.id)) == sent


async def test_bot_wide_limit_across_chats(clocked: EmulatorServer, emu_clock: ManualClock) -> None:
    users = [clocked.emulator.create_user(f"U{i}") for i in range(32)]
    statuses = []
    for user in users[:31]:
        status, body = await raw_call(clocked, "sendMessage", chat_id=user.id, text="hi")
        statuses.append(status)
    assert statuses == [200] * 30 + [429]
    assert body["parameters"]["retry_after"] == 1
    emu_clock.advance(1 / 30)
    status, _ = await raw_call(clocked, "sendMessage", chat_id=users[31].id, text="hi")
    assert status == 200


async def test_group_limit_per_minute(clocked: EmulatorServer, emu_clock: ManualClock) -> None:
    emu = clocked.emulator
    user = emu.create_user("Ann")
    group = emu.create_group("Shop", [user.id])
    for i in range(20):
        status, _ = await raw_call(clocked, "sendMessage", chat_id=group.id, text=f"g{i}")
        assert status == 200
        emu_clock.advance(0.5)  # 10 s for all 20: well within one minute
    status, body = await raw_call(clocked, "sendMessage", chat_id=group.id, text="too many")
    assert status == 429 and body["parameters"]["retry_after"] >= 1
    emu_clock.advance(body["parameters"]["retry_after"])
    status, _ = await raw_call(clocked, "sendMessage", chat_id=group.id, text="later")
    assert status == 200
    assert emu.stats.count_429_by_chat == {group.id: 1}


async def test_edits_count_against_the_chat(
    clocked: EmulatorServer, emu_clock: ManualClock
) -> None:
    user = clocked.emulator.create_user("Ann")
    for i in range(3):
        await raw_call(clocked, "sendMessage", chat_id=user.id, text=f"m{i}")
    status, body = await raw_call(
        clocked, "editMessageText", chat_id=user.id, message_id=1, text="changed"
    )
    assert status == 429
    emu_clock.advance(1)
    status, body = await raw_call(
        clocked, "editMessageText", chat_id=user.id, message_id=1, text="changed"
    )
    assert status == 200 and body["result"]["text"] == "changed"


async def test_limits_off_gives_zero_429(emu_clock: ManualClock) -> None:
    async with EmulatorServer(tokens=[TOKEN], limits=Limits.off(), clock=emu_clock) as srv:
        user = srv.emulator.create_user("Ann")
        for i in range(40):
            status, _ = await raw_call(srv, "sendMessage", chat_id=user.id, text=f"m{i}")
            assert status == 200
        assert srv.emulator.stats.count_429 == 0
