"""`baton up --demo` as a user runs it: a real process, embedded Redis, SQLite, emulator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bots.emulator.client import EmulatorClient
from tests.bus.support import eventually

ROOT = Path(__file__).resolve().parents[1]


async def read_banner(stream: asyncio.StreamReader) -> dict[str, str]:
    """The banner's places (first word of each value), then the demo's example command."""
    places: dict[str, str] = {}
    async with asyncio.timeout(60):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError("baton up exited before it was ready")
            if line.startswith("Press Ctrl-C"):
                break
            match = re.match(r"  (.+?)\s{2,}(\S+)(.*)", line)
            if match:
                places[match.group(1)] = match.group(2)
                places[match.group(1) + " (line)"] = match.group(2) + match.group(3)
        example: list[str] = []
        while (line := (await stream.readline()).decode()).strip() or not example:
            if line.strip() and not line.startswith("Try an order"):
                example.append(line)
    places["example"] = "".join(example)
    return places


def example_order(example: str) -> tuple[dict[str, Any], Path]:
    """The body the printed curl posts, and the file its token is read from."""
    body = json.loads(example.split("-d '", 1)[1].rsplit("'", 1)[0])
    token_file = re.search(r"Bearer \$\(cat '?([^')]+)'?\)", example)
    assert token_file is not None, example
    return body, Path(token_file.group(1))


async def start(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """``baton up --demo`` in a process of its own, once it printed where to go."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "baton.cli", "up", "--demo",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        return process, await read_banner(process.stdout)
    except BaseException:
        process.kill()
        await process.wait()
        raise


async def stop(process: asyncio.subprocess.Process) -> None:
    """Ctrl-C, and the process exits cleanly."""
    process.send_signal(signal.SIGINT)
    async with asyncio.timeout(30):
        assert await process.wait() == 0


async def post_order(
    http: aiohttp.ClientSession, api: str, token: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    auth = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{api}/v1/orders", json=body, headers=auth) as r:
        return r.status, await r.json()


async def test_baton_up_demo_serves_the_dev_chat_and_the_bot_answers(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BATON_")} | {
        "BATON_DATA_DIR": str(tmp_path / "var"),
        "BATON_HTTP_PORT": "0",
        "BATON_EMULATOR_PORT": "0",
    }
    process, places = await start(env)
    try:
        assert places["Redis"].startswith("unix://")
        assert places["Database"].startswith("sqlite+aiosqlite:///")
        dev_chat = places["Dev chat (act as a dealer)"]
        async with aiohttp.ClientSession() as http:
            async with http.get(dev_chat) as page:
                assert page.status == 200
                assert "<html" in await page.text()
            async with http.get(f"{places['HTTP API']}/healthz") as health:
                assert health.status == 200
            token = places["API token"]
            auth = {"Authorization": f"Bearer {token}"}
            first_order, key_file = example_order(places["example"])
            # The printed curl posts as the demo shop, with a key that can only post orders.
            shop = key_file.read_text().strip()
            assert shop.startswith("bk_") and shop != token
            assert key_file.name == "demo-shop-key" and key_file.stat().st_mode & 0o077 == 0
            status, created = await post_order(http, places["HTTP API"], shop, first_order)
            assert status == 201, created
            order_id = created["id"]

            async def offered() -> bool:
                url = f"{places['HTTP API']}/v1/orders/{order_id}"
                async with http.get(url, headers=auth) as r:
                    view = await r.json()
                return (
                    view["status"] == "offered" and view["originating_dealer_id"] == "bj-chaoyang"
                )

            await eventually(offered, timeout=20)
            async with http.get(f"{places['HTTP API']}/v1/promotions", headers=auth) as r:
                [promotion] = (await r.json())["promotions"]
                assert promotion["name"] == "Demo: Sichuan phone week"
        async with EmulatorClient(dev_chat.rstrip("/")) as chat:
            # The demo owner in Chengdu is bound already: the offer shows in their chat.
            owners = {u["username"]: u["id"] for u in await chat.users()}
            await chat.wait_for_message(owners["chengdu_store"], contains="新订单", timeout=20)
            # HQ's demo promotion was announced to the Sichuan store, with Acknowledge.
            promo = await chat.wait_for_message(
                owners["chengdu_store"], contains="Demo: Sichuan phone week", timeout=20
            )
            assert "已阅" in str(promo["reply_markup"])
        async with EmulatorClient(dev_chat.rstrip("/")) as chat:
            users = {u["username"]: u for u in await chat.users()}
            assert {"chengdu_store", "beijing_store", "hq_ops"} <= set(users)
            owner = users["chengdu_store"]

            # Bound by the demo, not by /start: the chat shows its role's menu all the same.
            async def menus() -> bool:
                owners = await chat.commands(owner["id"], "zh")
                hq = await chat.commands(users["hq_ops"]["id"], "en")
                return [m[0]["command"] for m in (owners, hq) if m] == ["orders", "broadcast"]

            await eventually(menus, timeout=20)
            await chat.send_text(owner["id"], "/start")
            reply = await chat.wait_for_message(owner["id"], contains="欢迎", timeout=20)
            assert "此聊天已绑定到天府广场店" in reply["text"] and "邀请" not in reply["text"]
            await chat.send_text(users["beijing_store"]["id"], "hello")
            await chat.wait_for_message(users["beijing_store"]["id"], contains="/help", timeout=20)
        await stop(process)

        # A restart: the same admin token, kept in the data dir and not printed again; the
        # same demo shop key; and a curl that posts a new order, not the first one again.
        process, places = await start(env)
        assert token not in places["API token (line)"]
        assert str(tmp_path / "var" / "api-token") in places["API token (line)"]
        second_order, again_file = example_order(places["example"])
        assert again_file == key_file and key_file.read_text().strip() == shop
        assert second_order["external_id"] != first_order["external_id"]
        async with aiohttp.ClientSession() as http:
            status, created = await post_order(http, places["HTTP API"], shop, second_order)
            assert status == 201 and created["id"] != order_id, created
            # The shop's key posts orders; it cannot read the audit log.
            headers = {"Authorization": f"Bearer {shop}"}
            async with http.get(f"{places['HTTP API']}/v1/audit", headers=headers) as r:
                assert r.status == 403
        await stop(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert not (tmp_path / "var" / "redis" / "redis.sock").exists()
