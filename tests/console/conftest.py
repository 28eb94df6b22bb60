"""A whole Baton (``baton up --demo`` in a process of its own) and Chromium to drive it."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bots.emulator.client import EmulatorClient
from tests.bus.support import eventually
from tests.console.browser import ARGS, chromium, missing_reason
from tests.test_up import example_order, post_order, start, stop

SHOTS = os.environ.get("BATON_CONSOLE_SCREENSHOTS")  # e.g. docs/console: keep the screenshots


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the browser tests, saying why, where there is no browser (unless one is required)."""
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("BATON_REQUIRE_BROWSER"):
        raise pytest.UsageError(reason + "; BATON_REQUIRE_BROWSER is set")
    for item in items:
        if "tests/console/" in str(item.fspath):
            item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Demo:
    """The running demo: its API, emulator, admin token and the demo order."""

    api: str
    emulator: str
    token: str
    order_id: str
    shots: Path
    env: dict[str, str]

    async def admin_link(self) -> str:
        """The link ``baton console`` prints on the host: an admin's, once."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "baton.cli", "console", env=self.env,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        printed, _ = await process.communicate()
        assert process.returncode == 0
        return printed.decode().splitlines()[0]

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The admin's call to the API."""
        auth = {"Authorization": f"Bearer {self.token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.api + path, json=body, headers=auth) as answer,
        ):
            return answer.status, await answer.json(content_type=None)

    async def link(self, username: str) -> str:
        """The sign-in link the bot sends the demo member ``username`` for ``/console``."""
        async with EmulatorClient(self.emulator) as emu:
            user = next(u for u in await emu.users() if u.get("username") == username)
            seen = await emu.messages(user["id"])
            after = max((m["message_id"] for m in seen), default=0)
            await emu.send_text(user["id"], "/console")
            answer = await emu.wait_for_message(
                user["id"], contains="/console/sign-in?t=", after=after, timeout=20
            )
        found = re.search(r"http\S+", answer["text"])
        assert found is not None, answer["text"]
        return found.group(0)


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    """``baton up --demo`` on free ports, with the demo order posted and offered."""
    home = tmp_path_factory.mktemp("console")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BATON_")} | {
        "BATON_DATA_DIR": str(home / "var"),
        "BATON_HTTP_PORT": str(free_port()),
        "BATON_EMULATOR_PORT": str(free_port()),
        # A dozen sign-ins from one address in a minute: more than a person needs.
        "BATON_RATE_LIMITS": "sign_in=100/min",
    }
    process, places = await start(env)
    try:
        body, key_file = example_order(places["example"])
        api = places["HTTP API"]
        async with aiohttp.ClientSession() as http:
            status, created = await post_order(http, api, key_file.read_text().strip(), body)
        assert status == 201, created
        token = (home / "var" / "api-token").read_text().strip()
        shots = Path(SHOTS) if SHOTS else home / "shots"
        shots.mkdir(parents=True, exist_ok=True)
        running = Demo(api, places["Dev chat (act as a dealer)"].rstrip("/"), token,
                       created["id"], shots, env)  # fmt: skip

        async def offered() -> bool:
            _, view = await running.call("GET", f"/v1/orders/{created['id']}")
            return bool(view["status"] == "offered")

        await eventually(offered, timeout=20)
        yield running
    finally:
        await stop(process)


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium, the machine's own."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=chromium(), args=ARGS)
        yield launched
        await launched.close()
