"""The dealer bot, the order flow and the statistics service running beside them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.stats.service import serve_stats
from tests.dealer.conftest import Chats, chats  # noqa: F401  (fixture)


@pytest.fixture
async def counted(chats: Chats) -> AsyncIterator[Chats]:  # noqa: F811
    """The dealer bot, orders and stock services, and the statistics."""
    async with serve_stats(chats.runtime):
        yield chats
