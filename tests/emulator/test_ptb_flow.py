"""A real PTB Application polling the emulator: commands, buttons, edits, commands menu, files."""

from __future__ import annotations

import asyncio

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bots.emulator import EmulatorClient, EmulatorServer
from tests.emulator.support import polling, ptb_app

Ctx = ContextTypes.DEFAULT_TYPE
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Accept", callback_data="accept:7")],
        [InlineKeyboardButton("Site", url="https://example.com")],
    ]
)


async def test_get_me(server: EmulatorServer) -> None:
    app = ptb_app(server)
    async with app:
        me = await app.bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "baton_dev_bot"


async def test_start_command_reaches_handler_and_reply_appears(
    server: EmulatorServer, client: EmulatorClient
) -> None:
    seen: list[list[str]] = []

    async def start(update: Update, context: Ctx) -> None:
        assert update.effective_message is not None
        seen.append(list(context.args or []))
        await update.effective_message.reply_text(f"Welcome! args={' '.join(context.args or [])}")

    app = ptb_app(server)
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        user = await client.create_user("Li Lei", language_code="zh")
        sent = await client.send_text(user["id"], "/start hello")
        assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        reply = await client.wait_for_message(user["id"], contains="Welcome!")
    assert seen == [["hello"]]
    assert reply["text"] == "Welcome! args=hello"
    assert reply["from_bot"] and reply["message_id"] == 2 and sent["message_id"] == 1
    assert [m["message_id"] for m in await client.messages(user["id"])] == [1, 2]


async def test_button_press_answer_and_edit(server: EmulatorServer, client: EmulatorClient) -> None:
    async def offer(update: Update, context: Ctx) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Order #7 for you", reply_markup=KEYBOARD)

    async def on_press(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data == "accept:7"
        await query.answer("Accepted ✓")
        await query.edit_message_text("Order #7 accepted")

    app = ptb_app(server)
    app.add_handler(CommandHandler("offer", offer))
    app.add_handler(CallbackQueryHandler(on_press))
    async with polling(app):
        user = await client.create_user("Dealer")
        await client.send_text(user["id"], "/offer")
        offer_msg = await client.wait_for_message(user["id"], contains="Order #7")
        assert offer_msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "accept:7"
        answer = await client.press(user["id"], offer_msg["message_id"], text="Accept")
        assert answer.answered and answer.text == "Accepted ✓" and not answer.show_alert
        edited = await client.wait_for_message(user["id"], contains="accepted")
    assert edited["message_id"] == offer_msg["message_id"]
    assert edited["edit_count"] == 1
    assert edited["reply_markup"] is None  # editMessageText without markup drops the keyboard


async def test_edit_reply_markup_via_ptb(server: EmulatorServer, client: EmulatorClient) -> None:
    app = ptb_app(server)
    async with app:
        user = await client.create_user("Dealer")
        sent = await app.bot.send_message(user["id"], "Pick", reply_markup=KEYBOARD)
        smaller = InlineKeyboardMarkup([[InlineKeyboardButton("Undo", callback_data="undo")]])
        edited = await sent.edit_reply_markup(reply_markup=smaller)
        assert not isinstance(edited, bool)
        assert edited.reply_markup == smaller
    [message] = await client.messages(user["id"])
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "Undo", "callback_data": "undo"}]]
    }
    assert message["edit_count"] == 1


async def test_commands_per_language(server: EmulatorServer) -> None:
    app = ptb_app(server)
    scope = BotCommandScopeAllPrivateChats()
    async with app:
        bot = app.bot
        await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("orders", "Orders")])
        await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
        await bot.set_my_commands([BotCommand("help", "Help")], scope=scope)
        default = await bot.get_my_commands()
        chinese = await bot.get_my_commands(language_code="zh")
        private = await bot.get_my_commands(scope=scope)
        await bot.delete_my_commands(language_code="zh")
        gone = await bot.get_my_commands(language_code="zh")
    assert [c.command for c in default] == ["start", "orders"]
    assert [(c.command, c.description) for c in chinese] == [("start", "开始")]
    assert [c.command for c in private] == ["help"]
    assert gone == ()


async def test_forged_callback_data_arrives_as_given(
    server: EmulatorServer, client: EmulatorClient
) -> None:
    received: list[str | None] = []

    async def on_press(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None
        received.append(query.data)
        valid = query.data in ("accept:7",)
        await query.answer("ok" if valid else "Invalid button", show_alert=not valid)

    app = ptb_app(server)
    app.add_handler(CallbackQueryHandler(on_press))
    async with polling(app):
        user = await client.create_user("Mallory")
        sent = await app.bot.send_message(user["id"], "Offer", reply_markup=KEYBOARD)
        answer = await client.press(user["id"], sent.message_id, "accept:999", forge=True)
    assert received == ["accept:999"]
    assert answer.forged and answer.text == "Invalid button" and answer.show_alert


async def test_documents_both_ways(server: EmulatorServer, client: EmulatorClient) -> None:
    downloaded: list[bytes] = []

    async def on_document(update: Update, context: Ctx) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        assert message.document.file_name == "价格 list.csv"
        assert message.document.mime_type == "text/csv"
        file = await message.document.get_file()
        downloaded.append(bytes(await file.download_as_bytearray()))
        await message.reply_text(f"got {len(downloaded[-1])} bytes")

    app = ptb_app(server)
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    content = b"sku,price\nA1,9.90\n" * 100
    async with polling(app):
        user = await client.create_user("Dealer")
        up = await client.upload_document(
            user["id"], "价格 list.csv", content, "text/csv", caption="prices"
        )
        assert up["document"]["file_size"] == len(content) and up["caption"] == "prices"
        await client.wait_for_message(user["id"], contains=f"got {len(content)} bytes")
        sent = await app.bot.send_document(
            user["id"],
            b"%PDF-1.4 fake",
            filename="发票 1.pdf",
            caption="<b>Invoice</b>",
            parse_mode="HTML",
        )
        again = await app.bot.send_document(user["id"], sent.document.file_id)
        bot_file = await app.bot.get_file(sent.document.file_id)
        pdf = bytes(await bot_file.download_as_bytearray())
    assert downloaded == [content]
    assert sent.document.file_name == "发票 1.pdf" and sent.document.mime_type == "application/pdf"
    assert sent.caption == "Invoice" and sent.caption_entities[0].type == "bold"
    assert again.document.file_unique_id == sent.document.file_unique_id
    assert pdf == b"%PDF-1.4 fake"
    messages = await client.messages(user["id"])
    assert [m["document"]["file_name"] for m in messages if m["document"]] == [
        "价格 list.csv",
        "发票 1.pdf",
        "发票 1.pdf",
    ]


async def test_reply_keyboard_and_plain_text(
    server: EmulatorServer, client: EmulatorClient
) -> None:
    texts: list[str] = []
    got = asyncio.Event()

    async def on_text(update: Update, context: Ctx) -> None:
        assert update.effective_message is not None and update.effective_message.text
        texts.append(update.effective_message.text)
        got.set()

    app = ptb_app(server)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    async with polling(app):
        user = await client.create_user("Dealer")
        keyboard = ReplyKeyboardMarkup([["Today", "Tomorrow"]], one_time_keyboard=True)
        await app.bot.send_message(user["id"], "When?", reply_markup=keyboard)
        chat = await client.chat(user["id"])
        assert [b["text"] for b in chat["reply_keyboard"]["keyboard"][0]] == ["Today", "Tomorrow"]
        await client.send_text(user["id"], "Tomorrow")
        await asyncio.wait_for(got.wait(), 5)
    assert texts == ["Tomorrow"]
    assert (await client.chat(user["id"]))["reply_keyboard"] is None  # one-time keyboard hid
