"""The dealer bot against the emulator, with the orders and stock services behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bots.dealer.app import build_application, polling
from bots.dealer.events import HANDLERS as CHAT_EVENTS
from bots.emulator import EmulatorClient, EmulatorServer
from bots.emulator.limits import Limits
from bots.sender.limits import SenderLimits
from bots.sender.sender import ChatSender
from services.orders.service import serve_orders
from services.stock.service import serve_stock
from shared.chat.identity import create_invite
from shared.clock import FakeClock
from shared.db.uow import unit_of_work
from shared.runtime import Runtime, delivery_loops, running
from tests.conftest import ApiClient
from tests.orders.conftest import NEAR_BODY, PRODUCT, order

TOKEN = "7000000001:dealer-bot-test-token"
FAR_BODY = {
    "name": "Kunming Store", "region": "yunnan", "city": "Kunming", "lat": 25.04, "lon": 102.71,
    "service_radius_km": 30, "capabilities": ["pickup"], "capacity": 10,
}  # fmt: skip
# A dealer's chat takes one message a second on Telegram. These tests are about what is
# said, not pacing (tests/sender/ holds the sender to the real limits), so both the emulator
# and the sender allow five times as much per chat, and a journey of twenty messages does
# not spend twenty seconds. Everything else about the limits is as on Telegram.
CHAT_SPEEDUP = 5
EMULATOR_LIMITS = Limits(private_per_second=1.0 * CHAT_SPEEDUP, private_burst=3 * CHAT_SPEEDUP)
SENDER_LIMITS = SenderLimits(private_per_second=1.0 * CHAT_SPEEDUP, private_burst=2 * CHAT_SPEEDUP)


class Chats:
    """Dealers, staff and HQ as emulator users, bound through real invitations."""

    def __init__(self, emu: EmulatorClient, runtime: Runtime, api: ApiClient) -> None:
        self.emu = emu
        self.runtime = runtime
        self.api = api

    async def network(self, *, far: bool = False) -> None:
        """PX-1, and the stores "near" and "other" in Sichuan (with ``far``: Kunming's too)."""
        assert (await self.api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
        for dealer_id in ("near", "other"):
            assert (await self.api.call("PUT", f"/v1/dealers/{dealer_id}", NEAR_BODY))[0] == 201
        if far:
            assert (await self.api.call("PUT", "/v1/dealers/far", FAR_BODY))[0] == 201

    async def user(self, name: str, language: str = "en") -> int:
        created = await self.emu.create_user(name, language_code=language)
        return int(created["id"])

    async def bound(self, dealer_id: str, role: str, language: str = "en") -> int:
        """A new chat user bound with a real invitation to ``dealer_id`` as ``role``."""
        user_id = await self.user(f"{role} of {dealer_id}", language)
        async with unit_of_work(self.runtime.db, self.runtime.clock) as uow:
            invite = await create_invite(uow, dealer_id, role, created_by="test")
        await self.say(user_id, f"/start {invite.code}")
        await self.expect(user_id, "now works for" if language == "en" else "现已绑定")
        return user_id

    async def say(self, user_id: int, text: str) -> dict[str, Any]:
        return dict(await self.emu.send_text(user_id, text))

    async def expect(self, chat_id: int, contains: str, after: int = 0) -> dict[str, Any]:
        """The first bot message in the chat containing ``contains``."""
        return dict(
            await self.emu.wait_for_message(chat_id, contains=contains, after=after, timeout=10)
        )

    async def stock(self, dealer_id: str, on_hand: int) -> None:
        status, _ = await self.api.call(
            "PUT", f"/v1/dealers/{dealer_id}/stock/PX-1", {"on_hand": on_hand}
        )
        assert status == 200

    async def order(self, external_id: str, fulfilment: str = "pickup") -> dict[str, Any]:
        status, body = await self.api.call(
            "POST", "/v1/orders", order(external_id, fulfilment=fulfilment)
        )
        assert status == 201, body
        return dict(body)

    def button(self, message: dict[str, Any], label: str) -> str:
        """The callback data of the button whose label contains ``label``."""
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if label in button["text"]:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in {markup}")

    async def last_id(self, chat_id: int) -> int:
        messages = await self.emu.messages(chat_id)
        return max((m["message_id"] for m in messages), default=0)


@pytest.fixture
async def chats(api: ApiClient, runtime: Runtime, clock: FakeClock) -> AsyncIterator[Chats]:
    """A running emulator and bot (polling) over the test's runtime and services."""
    runtime.clock = clock
    server = EmulatorServer(tokens=[TOKEN], limits=EMULATOR_LIMITS)
    await server.start()
    app = build_application(TOKEN, server.api_base, runtime)
    consumer = runtime.consumer("bot", CHAT_EVENTS)
    try:
        async with (
            serve_stock(runtime), serve_orders(runtime), running(*delivery_loops(runtime)),
            polling(app, poll_timeout=1), EmulatorClient(server.url) as emu,
        ):  # fmt: skip
            sender = ChatSender(
                runtime.db, runtime.redis, app.bot, runtime.clock, limits=SENDER_LIMITS
            )
            async with running(consumer.run, sender.run):
                yield Chats(emu, runtime, api)
    finally:
        await server.stop()
