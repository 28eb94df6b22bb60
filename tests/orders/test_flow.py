"""An online order's journey through real services: intake, routing, offer, answer, handover."""

from __future__ import annotations

import pytest

from services.orders.domain.pickup import PickupKeyMismatch
from services.orders.handover import opened_code
from shared.messages import Envelope
from shared.messages.orders import (
    AcceptOffer,
    ConfirmDelivery,
    ConfirmPickup,
    DeclineOffer,
    HandoverAnswered,
    MarkReady,
    OrderOffered,
)
from shared.sealed import seal
from tests.bus.support import eventually
from tests.orders.conftest import CHENGDU, Flow, dealer, dealer_actor, order

NEAR = dealer("Tianfu Store", CHENGDU[0] + 0.01, CHENGDU[1])
FAR = dealer("Wuhou Store", CHENGDU[0] + 0.08, CHENGDU[1])


async def test_a_pickup_order_goes_from_the_shop_to_the_customer(flow: Flow) -> None:
    await flow.setup({"near": NEAR, "far": FAR}, {"near": 2, "far": 2})
    placed = await flow.place(order("A-1"))
    assert placed["status"] == "received"
    code = placed["pickup_code"]
    assert len(code) == 6

    view = await flow.until(placed["id"], "offered")
    offer = flow.open_offer(view)
    assert offer["dealer_id"] == "near"
    [offered] = await flow.events("orders.OrderOffered")
    assert isinstance(offered, OrderOffered)
    assert offered.lines[0].name == "Phone X"
    assert (await flow.stock("near"))["reserved"] == 1
    assert view["routing"][0]["chosen"][0]["dealer_id"] == "near"

    await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "accepted", fulfilling_dealer_id="near")
    await flow.send(MarkReady(order_id=placed["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "ready_for_pickup")

    wrong = "000000" if code != "000000" else "111111"
    key, near = flow.runtime.pickup_key(), dealer_actor("near")
    for typed in (wrong, code):  # sealed, as the bot sends them
        sealed = seal(typed, placed["id"], key)
        await flow.send(ConfirmPickup(order_id=placed["id"], sealed_code=sealed, actor=near))
    done = await flow.until(placed["id"], "completed")
    answers = await flow.events("orders.HandoverAnswered")
    assert [(a.outcome, a.remaining) for a in answers if isinstance(a, HandoverAnswered)] == [
        ("wrong", 4),
        ("done", 0),
    ]
    assert [s["step"] for s in done["timeline"]][-3:] == [
        "accepted",
        "ready_for_pickup",
        "completed",
    ]
    await flow.until_stock("near", on_hand=1, reserved=0)


async def test_the_right_code_on_an_accepted_order_hands_it_over_and_records_ready(
    flow: Flow,
) -> None:
    await flow.setup({"near": NEAR, "far": FAR}, {"near": 2, "far": 2})
    placed = await flow.place(order("A-11"))
    offer = flow.open_offer(await flow.until(placed["id"], "offered"))
    near = dealer_actor("near")
    await flow.send(ConfirmPickup(order_id=placed["id"], code=placed["pickup_code"], actor=near))
    await flow.send(AcceptOffer(offer_id=offer["id"], actor=near))
    await flow.until(placed["id"], "accepted")
    await flow.send(ConfirmDelivery(order_id=placed["id"], actor=near))
    await flow.send(ConfirmPickup(order_id=placed["id"], code=placed["pickup_code"], actor=near))
    done = await flow.until(placed["id"], "completed")
    ready, handover = done["timeline"][-2:]
    assert (ready["step"], ready["detail"]["implied"]) == ("ready_for_pickup", True)
    assert (handover["step"], handover["detail"]["was"]) == ("completed", "ready_for_pickup")
    await flow.send(ConfirmDelivery(order_id=placed["id"], actor=near))
    await flow.send(ConfirmPickup(order_id=placed["id"], code="000000", actor=dealer_actor("far")))

    async def answered() -> bool:
        return len(await flow.events("orders.HandoverAnswered")) == 5

    await eventually(answered)
    answers = [
        (a.step, a.outcome, a.reason)
        for a in await flow.events("orders.HandoverAnswered") if isinstance(a, HandoverAnswered)
    ]  # fmt: skip
    assert answers == [
        ("pickup", "refused", "offered"), ("delivery", "refused", "not_delivery"),
        ("pickup", "done", ""), ("delivery", "refused", "completed"),
        ("pickup", "refused", "not_yours"),
    ]  # fmt: skip
    await flow.until_stock("near", on_hand=1, reserved=0)


async def test_a_decline_passes_the_order_on_and_out_of_stock_zeroes_the_dealer(
    flow: Flow,
) -> None:
    await flow.setup({"near": NEAR, "far": FAR}, {"near": 3, "far": 3})
    placed = await flow.place(order("A-2"))
    offer = flow.open_offer(await flow.until(placed["id"], "offered"))
    await flow.send(
        DeclineOffer(offer_id=offer["id"], reason="out_of_stock", actor=dealer_actor("near"))
    )
    view = await flow.until_offered_to(placed["id"], "far")
    assert [o["state"] for o in view["offers"]] == ["declined", "offered"]
    await flow.until_stock("near", on_hand=0, reserved=0)
    assert view["routing"][1]["excluded"]["near"]["rule"] in {"already_tried", "stock"}


async def test_an_offer_that_times_out_goes_to_the_next_dealer(flow: Flow) -> None:
    await flow.setup({"near": NEAR, "far": FAR}, {"near": 1, "far": 1})
    placed = await flow.place(order("A-3"))
    await flow.until(placed["id"], "offered")
    await flow.pass_time(minutes=9)
    assert flow.open_offer(await flow.get(placed["id"]))["dealer_id"] == "near"
    await flow.pass_time(minutes=1)
    view = await flow.until_offered_to(placed["id"], "far")
    await flow.until_stock("near", reserved=0)
    assert "expired" in [s["step"] for s in view["timeline"]]


async def test_with_nobody_left_the_order_says_it_waits_for_hq(flow: Flow) -> None:
    await flow.setup({"near": NEAR}, {"near": 0})
    placed = await flow.place(order("A-4", qty=1000))

    async def waiting() -> bool:
        view = await flow.get(placed["id"])
        return "waiting_for_hq" in [s["step"] for s in view["timeline"]]

    await eventually(waiting)
    view = await flow.get(placed["id"])
    assert view["status"] == "waiting_for_hq"  # the status tells what the timeline says
    assert view["routing"][0]["excluded"]["near"]["rule"] == "stock"

    async def told() -> bool:  # the shop's webhooks follow these events
        changes = await flow.events("orders.OrderStatusChanged")
        return [(e.previous, e.status) for e in changes] == [
            (None, "received"),
            ("received", "waiting_for_hq"),
        ]

    await eventually(told)
    status, body = await flow.api.call(
        "POST", f"/v1/orders/{placed['id']}/cancel", {"reason": "no stock anywhere"}
    )
    assert (status, body["status"]) == (200, "cancelled")


async def test_the_warehouse_takes_what_no_dealer_can(flow: Flow) -> None:
    warehouse = dealer("HQ warehouse", 39.9, 116.4, warehouse=True, capabilities=["delivery"])
    await flow.setup({"near": NEAR, "hq": warehouse}, {"near": 0, "hq": 50})
    placed = await flow.place(order("A-5", fulfilment="delivery"))
    view = await flow.until(placed["id"], "offered")
    assert flow.open_offer(view)["dealer_id"] == "hq"
    assert "pickup_code" not in placed


async def test_cancel_before_handover_releases_the_stock(flow: Flow) -> None:
    await flow.setup({"near": NEAR}, {"near": 1})
    placed = await flow.place(order("A-6"))
    await flow.until(placed["id"], "offered")
    assert (await flow.stock("near"))["reserved"] == 1
    status, body = await flow.api.call(
        "POST", f"/v1/orders/{placed['id']}/cancel", {"reason": "customer changed mind"}
    )
    assert (status, body["status"]) == (200, "cancelled")

    await flow.until_stock("near", on_hand=1, reserved=0)
    status, body = await flow.api.call("POST", f"/v1/orders/{placed['id']}/cancel", {})
    assert status == 409


async def test_two_orders_race_for_the_last_unit(flow: Flow) -> None:
    await flow.setup({"near": NEAR, "far": FAR}, {"near": 1, "far": 0})
    first = await flow.place(order("R-1"))
    second = await flow.place(order("R-2"))

    async def settled() -> bool:
        views = [await flow.get(o["id"]) for o in (first, second)]
        steps = [[s["step"] for s in v["timeline"]] for v in views]
        return sorted(v["status"] for v in views) == ["offered", "waiting_for_hq"] and any(
            "waiting_for_hq" in s for s in steps
        )

    await eventually(settled)
    near = await flow.stock("near")
    assert (near["on_hand"], near["reserved"]) == (1, 1)


async def test_returns_after_completion_restock_the_dealer(flow: Flow) -> None:
    await flow.setup({"near": NEAR}, {"near": 5})
    placed = await flow.place(order("A-7", qty=3, fulfilment="delivery"))
    offer = flow.open_offer(await flow.until(placed["id"], "offered"))
    await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "accepted")
    await flow.send(ConfirmDelivery(order_id=placed["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "completed")
    await flow.until_stock("near", on_hand=2, reserved=0)

    path = f"/v1/orders/{placed['id']}/returns"
    status, body = await flow.api.call("POST", path, {"lines": [{"sku": "PX-1", "qty": 1}]})
    assert (status, body["status"]) == (200, "completed")
    await flow.until_stock("near", on_hand=3)
    status, body = await flow.api.call("POST", path, {"lines": [{"sku": "PX-1", "qty": 5}]})
    assert status == 409
    status, body = await flow.api.call("POST", path, {"lines": [{"sku": "PX-1", "qty": 2}]})
    assert (status, body["status"]) == (200, "returned")
    await flow.until_stock("near", on_hand=5)


async def test_a_dealer_cannot_answer_another_dealers_offer(flow: Flow) -> None:
    await flow.setup({"near": NEAR, "far": FAR}, {"near": 1, "far": 1})
    placed = await flow.place(order("A-8"))
    offer = flow.open_offer(await flow.until(placed["id"], "offered"))
    await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor("far")))
    await flow.send(DeclineOffer(offer_id=offer["id"], reason="other", actor=dealer_actor("far")))
    await flow.send(AcceptOffer(offer_id="of_forged", actor=dealer_actor("near")))
    await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor("near")))
    view = await flow.until(placed["id"], "accepted")
    assert view["fulfilling_dealer_id"] == "near"
    assert [o["state"] for o in view["offers"]] == ["accepted"]


async def test_five_wrong_codes_lock_the_pickup_and_alert_hq(flow: Flow) -> None:
    await flow.setup({"near": NEAR}, {"near": 1})
    placed = await flow.place(order("A-9"))
    offer = flow.open_offer(await flow.until(placed["id"], "offered"))
    await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "accepted")
    await flow.send(MarkReady(order_id=placed["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "ready_for_pickup")
    wrong = "123456" if placed["pickup_code"] != "123456" else "654321"
    for _ in range(5):
        await flow.send(
            ConfirmPickup(order_id=placed["id"], code=wrong, actor=dealer_actor("near"))
        )
    await flow.send(
        ConfirmPickup(order_id=placed["id"], code=placed["pickup_code"], actor=dealer_actor("near"))
    )

    async def answered() -> bool:
        return len(await flow.events("orders.HandoverAnswered")) == 6

    await eventually(answered)
    answers = [
        a for a in await flow.events("orders.HandoverAnswered") if isinstance(a, HandoverAnswered)
    ]
    assert [(a.outcome, a.remaining) for a in answers] == [
        ("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("locked", 0), ("locked", 0),
    ]  # fmt: skip
    assert (await flow.get(placed["id"]))["status"] == "ready_for_pickup"
    alerts = await flow.runtime.redis.xrange("baton:alerts")
    kinds = [Envelope.decode(f[b"e"]).payload["kind"] for _, f in alerts]
    assert kinds.count("pickup_locked") == 1


def test_a_code_sealed_under_another_key_is_a_key_mismatch_not_a_wrong_try() -> None:
    sealed = seal("123456", "o_1", b"another key of 32 bytes........")
    message = ConfirmPickup(order_id="o_1", sealed_code=sealed, actor=dealer_actor("near"))
    with pytest.raises(PickupKeyMismatch, match="BATON_PICKUP_KEY"):
        opened_code(message, b"k" * 32)


def test_a_pickup_message_carries_one_code() -> None:
    near = dealer_actor("near")
    with pytest.raises(ValueError, match="sealed_code"):
        ConfirmPickup(order_id="o_1", actor=near)
    with pytest.raises(ValueError, match="sealed_code"):
        ConfirmPickup(order_id="o_1", code="123456", sealed_code="v1.x", actor=near)
