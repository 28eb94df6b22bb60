"""The Bot API endpoint over raw HTTP and PTB: encodings, errors, messages, markup."""

from __future__ import annotations

import json

import aiohttp
import pytest
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, InvalidToken

from bots.emulator import EmulatorClient, EmulatorServer, Limits
from tests.emulator.support import raw_call


async def test_unknown_token_and_method(server: EmulatorServer) -> None:
    status, body = await raw_call(server, "getMe", token="999:nope")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await raw_call(server, "fooBar")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await raw_call(server, "GETME")
    assert status == 200 and body["result"]["is_bot"] is True


async def test_form_query_and_json_encodings(server: EmulatorServer) -> None:
    user = server.emulator.create_user("Ann")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    url = f"{server.api_base}{server.token}"
    async with aiohttp.ClientSession() as session:
        form = {"chat_id": str(user.id), "text": "123", "reply_markup": json.dumps(markup)}
        async with session.post(f"{url}/sendMessage", data=form) as r:
            by_form = await r.json()
        async with session.get(f"{url}/sendMessage", params={"chat_id": user.id, "text": "q"}) as r:
            by_query = await r.json()
        async with session.post(f"{url}/sendMessage", json={"chat_id": user.id, "text": "j"}) as r:
            by_json = await r.json()
    assert by_form["result"]["text"] == "123"  # string fields are not JSON-decoded
    assert by_form["result"]["reply_markup"] == markup
    assert by_query["result"]["message_id"] == 2 and by_json["result"]["message_id"] == 3
    assert by_json["result"]["from"]["is_bot"] is True
    assert by_json["result"]["chat"] == {"id": user.id, "type": "private", "first_name": "Ann"}


async def test_bad_requests(server: EmulatorServer, bot: Bot) -> None:
    user = server.emulator.create_user("Ann")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    cases = [
        ({"chat_id": user.id}, "Bad Request: message text is empty"),
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": user.id, "text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"chat_id": user.id, "text": "x", "reply_markup": "{"},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        (
            {
                "chat_id": user.id,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "t"}]]},
            },
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {
                "chat_id": user.id,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "t", "callback_data": "x" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"chat_id": user.id, "text": "x", "reply_to_message_id": 77},
            "Bad Request: message to be replied not found",
        ),
    ]
    for params, description in cases:
        status, body = await raw_call(server, "sendMessage", **params)
        assert (status, body["description"]) == (400, description), params
    assert server.emulator.messages(user.id) == []


async def test_invalid_token_in_ptb(server: EmulatorServer) -> None:
    other = Bot("999:wrong", base_url=server.api_base)
    with pytest.raises(InvalidToken):
        await other.initialize()
    await other.shutdown()


async def test_edits_and_deletes(server: EmulatorServer, bot: Bot) -> None:
    user = server.emulator.create_user("Ann")
    first = await bot.send_message(user.id, "one")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("one", user.id, first.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("two", user.id, 99)
    edited = await bot.edit_message_text("<i>two</i>", user.id, first.message_id, parse_mode="HTML")
    assert not isinstance(edited, bool)
    assert edited.text == "two" and edited.edit_date is not None
    mine = server.emulator.send_text(user.id, "from user")
    with pytest.raises(BadRequest, match="can't be edited"):
        await bot.edit_message_text("x", user.id, mine.message_id)
    assert await bot.delete_message(user.id, first.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.id, first.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("three", user.id, first.message_id)
    stored = server.emulator.messages(user.id)
    assert [(m.message_id, m.deleted, m.edit_count) for m in stored] == [
        (1, True, 1),
        (2, False, 0),
    ]


async def test_parse_modes_and_replies(server: EmulatorServer, bot: Bot) -> None:
    user = server.emulator.create_user("Ann")
    question = server.emulator.send_text(user.id, "price?")
    html = await bot.send_message(
        user.id,
        "<b>¥9.90</b> for 😀 <a href='https://x.test'>you</a>",
        parse_mode="HTML",
        reply_parameters=ReplyParameters(question.message_id),
    )
    assert html.text == "¥9.90 for 😀 you"
    assert [(e.type, e.offset, e.length) for e in html.entities] == [
        ("bold", 0, 5),
        ("text_link", 13, 3),
    ]
    assert html.reply_to_message is not None and html.reply_to_message.text == "price?"
    md = await bot.send_message(user.id, r"*Total:* 10\.5 \- _ok_", parse_mode="MarkdownV2")
    assert md.text == "Total: 10.5 - ok"
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(user.id, "Total: 10.5", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "script"'):
        await bot.send_message(user.id, "<script>x</script>", parse_mode="HTML")
    legacy = await bot.send_message(user.id, "*b* _i_", parse_mode="Markdown")
    assert legacy.text == "b i"


async def test_message_ids_are_per_chat(server: EmulatorServer, bot: Bot) -> None:
    server.emulator.limiter.limits = Limits.off()
    a = server.emulator.create_user("A")
    b = server.emulator.create_user("B")
    ids = [(await bot.send_message(chat, "x")).message_id for chat in (a.id, b.id, a.id, a.id)]
    assert ids == [1, 1, 2, 3]


async def test_chat_info_actions_and_misc(server: EmulatorServer, bot: Bot) -> None:
    user = server.emulator.create_user("Ann", username="ann_dealer", language_code="zh")
    group = server.emulator.create_group("Dealers", [user.id])
    info = await bot.get_chat(user.id)
    assert (info.type, info.username, info.first_name) == ("private", "ann_dealer", "Ann")
    assert (await bot.get_chat(group.id)).title == "Dealers"
    assert await bot.send_chat_action(user.id, "typing")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(user.id, "dancing")
    assert await bot.set_my_description("Orders bot")
    assert (await bot.get_my_description()).description == "Orders bot"
    assert (await bot.get_my_name()).name == "Baton Dev Bot"
    assert await bot.set_chat_menu_button()
    assert await bot.log_out() and await bot.close()


async def test_group_messages_and_membership(server: EmulatorServer, bot: Bot) -> None:
    emu = server.emulator
    a, b = emu.create_user("A"), emu.create_user("B")
    outsider = emu.create_user("C")
    group = emu.create_group("Shop 12", [a.id, b.id])
    assert group.id < 0
    msg = emu.send_text(b.id, "/orders@baton_dev_bot today", chat_id=group.id)
    assert msg.entities[0] == {"type": "bot_command", "offset": 0, "length": 21}
    sent = await bot.send_message(group.id, "ok")
    assert sent.chat.type == "group" and sent.message_id == 2
    with pytest.raises(Exception, match="not a member"):
        emu.send_text(outsider.id, "hi", chat_id=group.id)
    update = emu.bot().pending[-1]["message"]
    assert update["chat"]["id"] == group.id and update["from"]["id"] == b.id


async def test_two_bots_have_separate_chats() -> None:
    tokens = ["111:AAA", "222:BBB"]
    async with EmulatorServer(tokens=tokens, usernames=["a_bot", "b_bot"]) as srv:
        user = srv.emulator.create_user("Ann")
        _, from_a = await raw_call(
            srv,
            "sendMessage",
            token=tokens[0],
            chat_id=user.id,
            text="from a",
            disable_notification=True,
        )
        _, from_b = await raw_call(
            srv, "sendMessage", token=tokens[1], chat_id=user.id, text="from b"
        )
        assert from_a["result"]["message_id"] == from_b["result"]["message_id"] == 1
        assert from_b["result"]["from"]["username"] == "b_bot"
        srv.emulator.send_text(user.id, "hi b", bot_id=222)
        assert srv.emulator.bots[222].pending and not srv.emulator.bots[111].pending
        async with EmulatorClient(srv.url, bot_id=222) as client:
            assert [m["text"] for m in await client.messages(user.id)] == ["from b", "hi b"]
        [silent] = srv.emulator.messages(user.id, bot_id=111)
        assert silent.silent and silent.to_view()["silent"]
