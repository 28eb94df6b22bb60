"""`GET /v1/orders/{id}` shows the stock reservation of each offer as the orders service knows it.

Its only sources are the messages it exchanged with the stock service (it never reads the
stock tables): the request id it sent, the dealer, and how far the reservation got.
"""

from __future__ import annotations

from typing import Any

from services.orders.domain.status import OrderStatus
from services.orders.view import reservation_state
from shared.messages.orders import AcceptOffer, ConfirmPickup, DeclineOffer, MarkReady
from tests.orders.conftest import CHENGDU, Flow, dealer, dealer_actor, order

NEAR = dealer("Tianfu Store", CHENGDU[0] + 0.01, CHENGDU[1])
FAR = dealer("Wuhou Store", CHENGDU[0] + 0.08, CHENGDU[1])


def states(view: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["dealer_id"], r["state"]) for r in view["reservations"]]


async def test_the_order_shows_its_reservations_from_request_to_handover(flow: Flow) -> None:
    await flow.setup({"near": NEAR, "far": FAR}, {"near": 1, "far": 1})
    placed = await flow.place(order("V-1"))
    view = await flow.until(placed["id"], "offered")
    [reservation] = view["reservations"]
    offer = flow.open_offer(view)
    assert reservation["request_id"] == offer["reservation_request_id"]
    assert reservation["request_id"].startswith("rq_")
    assert (reservation["dealer_id"], reservation["attempt"], reservation["state"]) == (
        "near",
        1,
        "reserved",
    )

    await flow.send(
        DeclineOffer(offer_id=offer["id"], reason="too_busy", actor=dealer_actor("near"))
    )
    view = await flow.until_offered_to(placed["id"], "far")
    assert states(view) == [("near", "released"), ("far", "reserved")]

    far_offer = flow.open_offer(view)
    await flow.send(AcceptOffer(offer_id=far_offer["id"], actor=dealer_actor("far")))
    view = await flow.until(placed["id"], "accepted")
    assert states(view) == [("near", "released"), ("far", "held")]

    await flow.send(MarkReady(order_id=placed["id"], actor=dealer_actor("far")))
    await flow.until(placed["id"], "ready_for_pickup")
    code = placed["pickup_code"]
    await flow.send(ConfirmPickup(order_id=placed["id"], code=code, actor=dealer_actor("far")))
    view = await flow.until(placed["id"], "completed")
    assert states(view) == [("near", "released"), ("far", "committed")]


def test_every_offer_state_names_a_reservation_state() -> None:
    offer_states = ["reserving", "unavailable", "reserved", "offered", "accepted", "declined",
                    "expired", "taken", "cancelled"]  # fmt: skip
    known = {"requested", "refused", "reserved", "held", "committed", "released"}
    for status in OrderStatus:
        for state in offer_states:
            assert reservation_state(state, status) in known
    assert reservation_state("accepted", OrderStatus.RETURNED) == "committed"
