"""Helpers for emulator tests: PTB applications bound to an emulator, polling, raw HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bots.emulator import EmulatorServer

TOKEN = "123456:TEST-emulator-token"
App = Application[Any, Any, Any, Any, Any, Any]


def ptb_app(server: EmulatorServer, read_timeout: float = 5.0) -> App:
    """A PTB Application talking to the emulator."""
    return (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.api_base)
        .base_file_url(server.file_base)
        .request(HTTPXRequest(connect_timeout=2.0, read_timeout=read_timeout))
        .get_updates_request(HTTPXRequest(connect_timeout=2.0, read_timeout=5.0))
        .build()
    )


@asynccontextmanager
async def polling(app: App) -> AsyncIterator[App]:
    """Run the application with long polling for the duration of the block."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def raw_call(
    server: EmulatorServer, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST a Bot API method as a JSON body; returns (HTTP status, body)."""
    url = f"{server.api_base}{token or server.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as response:
        return response.status, await response.json()
