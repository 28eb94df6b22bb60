"""Grab mode: an order offered to several dealers at once; the first accept wins."""

from __future__ import annotations

import pytest

from shared.messages.orders import AcceptOffer, OfferClosed
from shared.settings import Settings
from tests.orders.conftest import CHENGDU, Flow, dealer, dealer_actor, order


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Sichuan offers each order to two dealers at once."""
    return settings.model_copy(update={"grab_regions": "sichuan", "grab_k": 2})


async def test_two_accepts_at_once_one_wins_and_the_other_sees_taken(flow: Flow) -> None:
    one = dealer("One", CHENGDU[0] + 0.01, CHENGDU[1])
    two = dealer("Two", CHENGDU[0] - 0.01, CHENGDU[1])
    await flow.setup({"one": one, "two": two}, {"one": 1, "two": 1})
    placed = await flow.place(order("G-1"))

    async def both_offered() -> bool:
        view = await flow.get(placed["id"])
        return sorted(o["dealer_id"] for o in view["offers"] if o["state"] == "offered") == [
            "one",
            "two",
        ]

    from tests.bus.support import eventually

    await eventually(both_offered)
    view = await flow.get(placed["id"])
    for offer in view["offers"]:
        await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor(offer["dealer_id"])))
    done = await flow.until(placed["id"], "accepted")
    states = sorted(o["state"] for o in done["offers"])
    assert states == ["accepted", "taken"]
    winner = done["fulfilling_dealer_id"]
    loser = "two" if winner == "one" else "one"
    await flow.until_stock(winner, reserved=1)
    await flow.until_stock(loser, reserved=0)
    closed = [e for e in await flow.events("orders.OfferClosed") if isinstance(e, OfferClosed)]
    assert {(e.dealer_id, e.outcome) for e in closed} == {(winner, "accepted"), (loser, "taken")}
