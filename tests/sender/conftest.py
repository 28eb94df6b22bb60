"""Sender fixtures: a fresh emulator per test (limits chosen by the test) and a PTB Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot

from bots.emulator import EmulatorServer, Limits
from tests.sender.support import ptb_bot

TOKEN = "123456:TEST-sender-token"


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    """An emulator without flood limits (tests that are about faults, not pacing)."""
    async with EmulatorServer(tokens=[TOKEN], limits=Limits.off()) as server:
        yield server


@pytest.fixture
async def bot(emulator: EmulatorServer) -> AsyncIterator[Bot]:
    """A PTB Bot on the emulator."""
    async with ptb_bot(emulator) as ptb:
        yield ptb


@pytest.fixture
def users(emulator: EmulatorServer) -> Callable[[int], list[int]]:
    """Create n users; returns their private chat ids."""

    def make(n: int) -> list[int]:
        return [emulator.emulator.create_user(f"Dealer {i}").id for i in range(n)]

    return make
