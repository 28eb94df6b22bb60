"""The order flow (and the dealer bot) with the settlement service running beside them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.settlement.service import serve_settlement
from tests.dealer.conftest import Chats, chats  # noqa: F401  (fixture)
from tests.orders.conftest import Flow, flow, settings  # noqa: F401  (fixtures)


@pytest.fixture
async def settling(flow: Flow) -> AsyncIterator[Flow]:  # noqa: F811
    """Orders, stock and settlement services with the relay, on the test's clock."""
    async with serve_settlement(flow.runtime):
        yield flow


@pytest.fixture
async def settled_chats(chats: Chats) -> AsyncIterator[Chats]:  # noqa: F811
    """The dealer bot, orders and stock services, and settlement."""
    async with serve_settlement(chats.runtime):
        yield chats
