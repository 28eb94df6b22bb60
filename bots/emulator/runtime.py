"""What the aiohttp handlers share: the emulator and its change feed."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bots.emulator.feed import ChangeFeed
from bots.emulator.state import Emulator


@dataclass
class Runtime:
    """Per-server handler context."""

    emulator: Emulator
    feed: ChangeFeed


RUNTIME = web.AppKey("baton_emulator_runtime", Runtime)
