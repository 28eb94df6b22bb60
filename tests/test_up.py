"""`baton up --demo` as a user runs it: a real process, embedded Redis, SQLite, emulator."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

from bots.emulator.client import EmulatorClient
from tests.bus.support import eventually

ROOT = Path(__file__).resolve().parents[1]
DEMO_ORDER = {
    "external_id": "demo-1", "channel": "mall",
    "customer": {"id": "c-1", "name": "Zhang Wei", "phone": "+86 138 0000 0000",
                 "referral_code": "BJ-CHAOYANG"},
    "fulfilment": "pickup",
    "address": {"region": "sichuan", "city": "Chengdu", "line": "1 Tianfu Ave",
                "lat": 30.65, "lon": 104.07},
    "lines": [{"sku": "PX-1", "qty": 1, "unit_price": "1999.00"}],
    "currency": "CNY", "payment": "prepaid",
}  # fmt: skip


async def read_banner(stream: asyncio.StreamReader) -> dict[str, str]:
    places: dict[str, str] = {}
    async with asyncio.timeout(60):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError("baton up exited before it was ready")
            if line.startswith("Press Ctrl-C"):
                return places
            match = re.match(r"  (.+?)\s{2,}(\S+)", line)
            if match:
                places[match.group(1)] = match.group(2)


async def test_baton_up_demo_serves_the_dev_chat_and_the_bot_answers(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BATON_")} | {
        "BATON_DATA_DIR": str(tmp_path / "var"),
        "BATON_HTTP_PORT": "0",
        "BATON_EMULATOR_PORT": "0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "up", "--demo",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        places = await read_banner(process.stdout)
        assert places["Redis"].startswith("unix://")
        assert places["Database"].startswith("sqlite+aiosqlite:///")
        dev_chat = places["Dev chat (act as a dealer)"]
        async with aiohttp.ClientSession() as http:
            async with http.get(dev_chat) as page:
                assert page.status == 200
                assert "<html" in await page.text()
            async with http.get(f"{places['HTTP API']}/healthz") as health:
                assert health.status == 200
            auth = {"Authorization": f"Bearer {places['API token']}"}
            async with http.post(
                f"{places['HTTP API']}/v1/orders", json=DEMO_ORDER, headers=auth
            ) as r:
                assert r.status == 201, await r.text()
                order_id = (await r.json())["id"]

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
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert not (tmp_path / "var" / "redis" / "redis.sock").exists()
