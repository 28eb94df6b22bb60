"""The dev chat page: served, self-contained, uses only existing /_emu/ endpoints, works."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from importlib import resources
from pathlib import Path

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bots.emulator import EmulatorServer
from tests.emulator.support import polling, ptb_app

HARNESS = Path(__file__).with_name("devchat_harness.js")


def page_source() -> str:
    return resources.files("bots.emulator").joinpath("devchat.html").read_text("utf-8")


async def test_page_is_served_and_self_contained(server: EmulatorServer) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/", "/devchat"):
            async with session.get(server.url + path) as response:
                assert response.status == 200
                assert response.content_type == "text/html"
                html = await response.text()
                assert html == page_source()
    assert "<script>" in html and "<style>" in html
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html


async def test_page_endpoints_exist(server: EmulatorServer) -> None:
    user = server.emulator.create_user("Ann")
    paths = sorted(set(re.findall(r'"(/_emu/[^"?]*)"', page_source())))
    assert len(paths) >= 10
    async with aiohttp.ClientSession() as session:
        for template in paths:
            path = template.replace("{chat}", str(user.id)).replace("{user}", str(user.id))
            async with session.get(server.url + path) as response:
                # 405: the route exists for another method (e.g. POST-only).
                assert response.status in (200, 405), (template, response.status)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_page_script_drives_a_chat(server: EmulatorServer) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("接单", callback_data="take:1")]])
        await update.effective_message.reply_text(
            "<b>Welcome</b> & hi", parse_mode="HTML", reply_markup=keyboard
        )

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer(f"Taken {update.callback_query.data}")

    app = ptb_app(server)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_press))
    user = server.emulator.create_user("小明", language_code="zh")
    async with polling(app):
        node = await asyncio.create_subprocess_exec(
            "node",
            str(HARNESS),
            str(resources.files("bots.emulator") / "devchat.html"),
            server.url,
            user.first_name,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(node.communicate(), 15)
    assert node.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["title"] == "小明"
    assert result["toast"] == "Taken take:1"
    assert "<b>Welcome</b> &amp; hi" in result["messages"]
    assert "/start" in result["messages"]
    texts = [m.text for m in server.emulator.messages(user.id)]
    assert texts == ["/start", "Welcome & hi"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_the_page_sends_several_lines_with_enter_and_breaks_lines_with_shift_enter(
    server: EmulatorServer,
) -> None:
    assert '<textarea id="text"' in page_source()  # a field that holds several lines
    user = server.emulator.create_user("店员小李", language_code="zh")
    node = await asyncio.create_subprocess_exec(
        "node", str(HARNESS), str(resources.files("bots.emulator") / "devchat.html"),
        server.url, user.first_name, "multiline",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(node.communicate(), 15)
    assert node.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["left"] == ""  # the field is empty again
    assert [m.text for m in server.emulator.messages(user.id)] == ["/stock PX-1 5\nAC-9 2"]
