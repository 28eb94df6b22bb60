"""Emulator test fixtures: a fresh server per test, a client, a PTB Bot bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bots.emulator import EmulatorClient, EmulatorServer, ManualClock
from tests.emulator.support import TOKEN


@pytest.fixture
def emu_clock() -> ManualClock:
    """Epoch seconds that move only when the test moves them."""
    return ManualClock(1_800_000_000.0)


@pytest.fixture
async def server() -> AsyncIterator[EmulatorServer]:
    """A running emulator (real HTTP on a free port), fresh for each test."""
    srv = EmulatorServer(tokens=[TOKEN], webhook_retry_base=0.02, webhook_retry_max=0.1)
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def client(server: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    """An HTTP client of the running emulator."""
    async with EmulatorClient(server.url) as emu_client:
        yield emu_client


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    """An initialized PTB Bot talking to the emulator (no polling)."""
    ptb_bot = Bot(
        server.token,
        base_url=server.api_base,
        base_file_url=server.file_base,
        request=HTTPXRequest(connect_timeout=2.0, read_timeout=5.0),
    )
    async with ptb_bot:
        yield ptb_bot
