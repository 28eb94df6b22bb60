"""Edits wait for their original and change that very message; a key is sent once."""

from __future__ import annotations

import base64
from collections.abc import Callable

from redis.asyncio import Redis
from telegram import Bot

from bots.emulator import EmulatorServer
from bots.sender.sender import ChatSender
from shared.chat.outbox import Lane, Outgoing, message_id_of, submit, submit_many
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from tests.bus.support import eventually
from tests.sender.support import FAST, QUICK, bot_texts, row, running, states, text_message

KEYBOARD = {"inline_keyboard": [[{"text": "Accept", "callback_data": "a:1"}]]}
DONE = {"inline_keyboard": [[{"text": "Done", "callback_data": "d:1"}]]}


def edit(key: str, chat: int, lane: int, refers_to: str, **payload: object) -> Outgoing:
    method = "editMessageText" if "text" in payload else "editMessageReplyMarkup"
    return Outgoing(key, chat, lane, method, dict(payload), refers_to=refers_to)


async def test_edits_wait_for_their_original_and_change_that_message(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    bot: Bot,
    users: Callable[[int], list[int]],
) -> None:
    (chat,) = users(1)
    sender = ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK)
    offer = Outgoing(
        "offer", chat, Lane.BULK, "sendMessage", {"text": "Order 1", "reply_markup": KEYBOARD}
    )
    batch = [
        *(text_message(f"b{i}", chat) for i in range(3)),
        offer,
        # Higher lanes than the original: they would overtake it if they did not wait.
        edit("taken", chat, Lane.OFFER, "offer", text="Order 1 taken", reply_markup=DONE),
        edit("unbuttoned", chat, Lane.PROMPT, "offer"),
    ]
    async with unit_of_work(db, clock) as uow:
        await submit_many(uow, batch, wake=sender.wake)
    async with running(sender):

        async def all_sent() -> bool:
            return await states(db) == {"sent": len(batch)}

        await eventually(all_sent)
    message_id = await message_id_of(db, "offer")
    assert message_id == 4  # after b0, b1, b2
    edited = emulator.emulator.messages(chat)[message_id - 1]
    assert (edited.text, edited.reply_markup, edited.edit_count) == ("Order 1 taken", None, 2)
    assert bot_texts(emulator, chat) == ["b0", "b1", "b2", "Order 1 taken"]
    assert all(m.edit_count == 0 for m in emulator.emulator.messages(chat)[:3])
    assert (await row(db, "taken")).telegram_message_id == message_id


async def test_an_edit_of_a_message_sent_long_ago_finds_it_in_the_database(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    bot: Bot,
    users: Callable[[int], list[int]],
) -> None:
    (chat,) = users(1)
    sender = ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK)
    async with running(sender):
        async with unit_of_work(db, clock) as uow:
            await submit(
                uow, "offer", chat, Lane.OFFER, "sendMessage", {"text": "Order 2"}, wake=sender.wake
            )
        await emulator.wait_for_message(chat, contains="Order 2")
        async with unit_of_work(db, clock) as uow:
            await submit_many(
                uow,
                [edit("expired", chat, Lane.PROMPT, "offer", text="Order 2 expired")],
                wake=sender.wake,
            )
        await emulator.wait_for_message(chat, contains="expired")
    assert bot_texts(emulator, chat) == ["Order 2 expired"]


async def test_an_edit_of_a_message_that_failed_fails_without_a_request(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    bot: Bot,
    users: Callable[[int], list[int]],
) -> None:
    (chat,) = users(1)
    sender = ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK)
    broken = Outgoing("broken", chat, 0, "sendMessage", {"text": "<b>oops", "parse_mode": "HTML"})
    async with unit_of_work(db, clock) as uow:
        await submit_many(
            uow,
            [broken, edit("fix", chat, 0, "broken", text="fixed"), text_message("after", chat)],
            wake=sender.wake,
        )
    async with running(sender):

        async def settled() -> bool:
            return await states(db) == {"failed": 2, "sent": 1}

        await eventually(settled)
    assert bot_texts(emulator, chat) == ["after"]
    assert emulator.emulator.stats.calls["editMessageText"] == 0
    assert "was not sent" in ((await row(db, "fix")).last_error or "")


async def test_the_same_key_twice_is_sent_once_and_documents_go_too(
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
    bot: Bot,
    users: Callable[[int], list[int]],
) -> None:
    (chat,) = users(1)
    sender = ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK)
    content = base64.b64encode(b"order,amount\nA1,100\n").decode()
    statement = {"document": {"filename": "may.csv", "content": content}, "caption": "May"}
    again = text_message("offer:9", chat, lane=Lane.OFFER, text="Order 9 again")
    async with running(sender):
        async with unit_of_work(db, clock) as uow:
            await submit(uow, "offer:9", chat, Lane.OFFER, "sendMessage", {"text": "Order 9"})
        await emulator.wait_for_message(chat, contains="Order 9")
        # The key again (lane 0) and a statement (lane 3) behind it: if the key were queued
        # a second time it would arrive before the statement.
        may = Outgoing("statement:may", chat, Lane.BULK, "sendDocument", statement)
        async with unit_of_work(db, clock) as uow:
            assert await submit_many(uow, [again, may], wake=sender.wake) == 1
        document = await emulator.wait_for_message(chat, contains="May")
    assert bot_texts(emulator, chat) == ["Order 9", "May"]
    assert document.document is not None and document.document.file_name == "may.csv"
    assert document.document.content == b"order,amount\nA1,100\n"
