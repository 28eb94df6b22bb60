"""Injected 429s, 5xx, timeouts and a blocked chat: everything else still arrives once."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis
from telegram import Bot

from bots.emulator import EmulatorServer
from bots.sender.sender import ChatSender, SenderOptions
from shared.chat.outbox import Outgoing, submit_many
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from tests.bus.support import eventually
from tests.sender.support import (
    FAST,
    QUICK,
    alerts,
    bot_texts,
    ptb_bot,
    row,
    running,
    states,
    text_message,
)

PER_CHAT = 6


async def test_faults_of_every_kind_leave_every_other_message_delivered_once(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    users: Callable[[int], list[int]],
) -> None:
    emu = emulator.emulator
    limited, flood_a, flood_b, broken, gateway, slow, blocked, calm = users(8)
    chats = [limited, flood_a, flood_b, broken, gateway, slow, blocked, calm]
    # The bot as a whole: the next two sends, whatever their chat.
    emu.inject_fault("429", method="sendMessage", count=2, retry_after=1)
    emu.inject_fault("429", chat_id=limited, count=2, retry_after=1)
    emu.inject_fault("5xx", chat_id=broken, status=500, count=2)
    emu.inject_fault("5xx", chat_id=gateway, status=502)
    emu.inject_fault("delay", chat_id=slow, delay=1.5)  # lands after the client gave up
    emu.block(blocked)
    messages = [text_message(f"m{i}:{c}", c) for i in range(PER_CHAT) for c in chats]

    async with ptb_bot(emulator, read_timeout=0.5) as bot:
        sender = ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK)
        async with unit_of_work(db, clock) as uow:
            await submit_many(uow, messages, wake=sender.wake)
        async with running(sender):

            async def settled() -> bool:
                done = await states(db)
                return done["sent"] + done["blocked"] == len(messages)

            await eventually(settled, timeout=20)

    expected = {c: [f"m{i}:{c}" for i in range(PER_CHAT)] for c in chats}
    for chat in (limited, flood_a, flood_b, broken, gateway, calm):
        assert bot_texts(emulator, chat) == expected[chat]  # once each, in order
    # The timed-out request landed after all, and its retry too: the one duplicate that
    # Telegram's lack of an idempotency key allows. The first copies are in order.
    slow_texts = bot_texts(emulator, slow)
    assert sorted(set(slow_texts)) == sorted(expected[slow])
    assert len(slow_texts) - PER_CHAT <= emu.stats.injected["delay"] == 1
    assert list(dict.fromkeys(slow_texts)) == expected[slow]

    assert bot_texts(emulator, blocked) == []
    for key in expected[blocked]:
        assert (await row(db, key)).state == "blocked"
    blocked_alerts = [a for a in await alerts(db) if a["kind"] == "chat_blocked"]
    assert [a["subject_id"] for a in blocked_alerts] == [str(blocked)]

    stats = sender.stats()
    assert stats.rate_limited == emu.stats.count_429 == 4
    assert stats.bot_wide_holds >= 1  # two chats refused in a row: the whole bot paused
    assert stats.retried >= 4  # two 500s, one 502, one timeout
    assert stats.blocked == PER_CHAT and stats.chats_blocked == 1
    assert stats.sent == len(messages) - PER_CHAT and stats.failed == 0


async def test_a_429_holds_back_only_its_chat(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    bot: Bot,
    users: Callable[[int], list[int]],
) -> None:
    emu = emulator.emulator
    held, *others = users(11)
    emu.inject_fault("429", chat_id=held, retry_after=2)
    messages = [text_message(f"m{i}:{c}", c) for i in range(2) for c in others]
    sender = ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK)
    async with unit_of_work(db, clock) as uow:
        await submit_many(uow, [text_message("held", held, lane=0), *messages], wake=sender.wake)
    async with running(sender):
        late = await emulator.wait_for_message(held, contains="held", timeout=10)
    # Lane 0 went first and was refused; while its chat waited out retry_after, all of the
    # lane-3 messages to other chats went.
    assert all(m.revision < late.revision for c in others for m in emu.messages(c))
    assert sum(len(bot_texts(emulator, c)) for c in others) == len(messages)
    assert sender.stats().rate_limited == 1


async def test_a_message_that_keeps_failing_is_given_up_with_an_alert(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    bot: Bot,
    users: Callable[[int], list[int]],
) -> None:
    (chat,) = users(1)
    emulator.emulator.inject_fault("5xx", chat_id=chat, status=503, count=3)
    options = SenderOptions(**{**QUICK.__dict__, "max_attempts": 3})
    sender = ChatSender(db, redis, bot, clock, limits=FAST, options=options)
    # parse_mode makes "bad" a 400: refused at once, never retried.
    html = {"text": "<b>never closed", "parse_mode": "HTML"}
    messages = [
        text_message("doomed", chat),
        Outgoing("bad", chat, 3, "sendMessage", html),
        text_message("fine", chat),
    ]
    async with unit_of_work(db, clock) as uow:
        await submit_many(uow, messages, wake=sender.wake)
    async with running(sender):
        await emulator.wait_for_message(chat, contains="fine", timeout=10)

        async def finished() -> bool:
            return (await states(db))["queued"] == 0

        await eventually(finished)
    doomed, bad_row = await row(db, "doomed"), await row(db, "bad")
    assert (doomed.state, doomed.attempts) == ("failed", 3)
    assert "503" in (doomed.last_error or "") or "Unavailable" in (doomed.last_error or "")
    assert (bad_row.state, bad_row.attempts) == ("failed", 0)
    assert bot_texts(emulator, chat) == ["fine"]
    failed = [a["subject_id"] for a in await alerts(db) if a["kind"] == "chat_message_failed"]
    assert sorted(failed) == ["bad", "doomed"]
