"""Pure parts: parse modes, detected entities, update queue rules; and the standalone runner."""

from __future__ import annotations

import asyncio
import html
import signal
import sys

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bots.emulator import ApiError, Emulator
from bots.emulator.markup import parse_text
from bots.emulator.text import detect_entities, utf16_len

TOKEN = "42:ABC"


@given(st.text(max_size=200))
def test_escaped_html_round_trips(text: str) -> None:
    assert parse_text(html.escape(text, quote=False), "HTML") == (text, [])


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=50))
def test_escaped_markdown_v2_round_trips(text: str) -> None:
    escaped = "".join("\\" + c if c in "_*[]()~`>#+-=|{}.!\\" else c for c in text)
    assert parse_text(escaped, "MarkdownV2") == (text, [])


@pytest.mark.parametrize(
    ("source", "mode", "error"),
    [
        ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "HTML", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a <br> b", "HTML", 'Unsupported start tag "br" at byte offset 2'),
        ("1+1", "MarkdownV2", "Character '+' is reserved"),
        ("*x", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
        ("_x", "Markdown", "Can't find end of the entity starting at byte offset 0"),
    ],
)
def test_markup_errors(source: str, mode: str, error: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_text(source, mode)
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: " + error)


def test_nested_html_and_pre_language() -> None:
    text, entities = parse_text(
        '<b>a<i>b</i></b><pre><code class="language-py">x</code></pre>', "HTML"
    )
    assert text == "abx"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 1, "length": 1},
        {"type": "pre", "offset": 2, "length": 1, "language": "py"},
    ]


def test_detected_entities_use_utf16_offsets() -> None:
    text = "😀 /orders@baton_dev_bot 12 see https://x.test/a @someone"
    found = detect_entities(text)
    assert [e["type"] for e in found] == ["bot_command", "url", "mention"]
    assert found[0] == {"type": "bot_command", "offset": 3, "length": 21}
    assert utf16_len("😀") == 2
    assert detect_entities("a/b and /x/y") == []


def test_update_queue_rules() -> None:
    emu = Emulator([TOKEN])
    bot = emu.bot()
    user = emu.create_user("Ann")
    for i in range(5):
        emu.send_text(user.id, f"m{i}")
    assert [u["update_id"] for u in bot.pending] == [1, 2, 3, 4, 5]
    emu.confirm_updates(bot, 3)
    assert [u["update_id"] for u in bot.pending] == [3, 4, 5]
    emu.confirm_updates(bot, -1)
    assert [u["update_id"] for u in bot.pending] == [5]
    bot.allowed_updates = ["callback_query"]
    emu.send_text(user.id, "ignored")
    assert [u["update_id"] for u in bot.pending] == [5]
    assert emu.bot_for_token("42:ABD") is None and emu.bot_for_token(TOKEN) is bot
    with pytest.raises(ValueError):
        Emulator(["not-a-token"])


async def test_standalone_runner() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
    url = first.split(" on ")[1].strip()
    async with aiohttp.ClientSession() as session, session.get(f"{url}/bot{TOKEN}/getMe") as r:
        assert (await r.json())["result"]["id"] == 42
    proc.send_signal(signal.SIGTERM)
    rest, _ = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0
    assert f"base_url:      {url}/bot" in rest.decode()
