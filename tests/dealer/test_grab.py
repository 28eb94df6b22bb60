"""Grab mode in chat: an order offered to two stores at once, taken by one of them."""

from __future__ import annotations

import pytest

from bots.dealer.models import BotOrder
from shared.settings import Settings
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Sichuan offers each order to two stores at once."""
    return settings.model_copy(update={"grab_regions": "四川", "grab_k": 2})


async def test_the_store_that_takes_a_grab_order_works_it_and_the_other_is_told(
    chats: Chats,
) -> None:
    await chats.network()  # "near" and "other", both in Sichuan
    for store in ("near", "other"):
        await chats.stock(store, 2)
    near, other = await chats.bound("near", "owner"), await chats.bound("other", "owner")
    placed = await chats.order("G-1")
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offers = {user: await chats.expect(user, f"New order {ref}") for user in (near, other)}
    async with chats.runtime.db.read() as session:
        view = await session.get(BotOrder, placed["id"])
    assert view is not None
    # The bot's view names the store offered last; the one offered first takes the order.
    taker, loser = (near, other) if view.dealer_id == "other" else (other, near)
    answer = await chats.emu.press(
        taker, offers[taker]["message_id"], data=chats.button(offers[taker], "Accept")
    )
    assert answer.text == "Accepting…"
    details = await chats.expect(taker, f"Order {ref} is yours")
    await chats.expect(loser, f"Order {ref} was taken by another store.")
    late = await chats.emu.press(
        loser, offers[loser]["message_id"], data=chats.button(offers[loser], "Accept"), forge=True
    )
    assert late.text is not None and late.text.startswith("This offer is no longer waiting")

    async def ready() -> bool:  # the bot's view of the order follows its events
        await chats.emu.press(taker, details["message_id"], data=chats.button(details, "Ready"),
                              forge=True)  # fmt: skip
        _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
        return view["status"] == "ready_for_pickup"

    await eventually(ready, interval=0.3)
    await chats.expect(taker, f"Order {ref} is ready.")
