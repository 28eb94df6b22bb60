"""Handing an order over in chat: every answer says where the order stands and what to do."""

from __future__ import annotations

from typing import Any

from shared.bus.streams import stream_key
from shared.messages import Envelope
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


async def _accepted(chats: Chats, owner: int, external_id: str) -> tuple[dict[str, Any], str]:
    """An order offered to "near" and accepted by ``owner``, with its short number."""
    placed = await chats.order(external_id)
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, f"新订单 {ref}")
    assert "顾客所在区域：四川 Chengdu" in offer["text"]  # the shop wrote "sichuan"
    await chats.emu.press(owner, offer["message_id"], data=chats.button(offer, "接单"))
    await chats.expect(owner, f"订单 {ref} 归您了")
    return placed, ref


async def _said(chats: Chats, user: int, text: str, expect: str) -> dict[str, Any]:
    before = await chats.last_id(user)
    await chats.say(user, text)
    return await chats.expect(user, expect, after=before)


async def test_the_right_code_on_an_accepted_order_hands_it_over(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "zh")
    placed, ref = await _accepted(chats, owner, "H-1")
    code = placed["pickup_code"]
    wrong = "000001" if code != "000001" else "000002"
    await _said(
        chats,
        owner,
        f"/pickup {ref} {wrong}",
        f"还可以再试 4 次。请顾客核对提货码后，再输入 /pickup {ref}",
    )
    await _said(chats, owner, f"/pickup {ref} {code}", f"✅ 订单 {ref} 已交付")

    async def completed() -> bool:
        _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
        return view["status"] == "completed"

    await eventually(completed)
    _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
    assert [s["step"] for s in view["timeline"]][-2:] == ["ready_for_pickup", "completed"]
    assert view["timeline"][-2]["detail"]["implied"] is True
    # Both codes went to the orders service sealed: neither is in the stream in clear.
    entries = await chats.runtime.redis.xrange(stream_key("orders"))
    sent = [Envelope.decode(fields[b"e"]) for _, fields in entries]
    pickups = [e.payload for e in sent if e.name == "orders.ConfirmPickup"]
    assert len(pickups) == 2 and all(p["sealed_code"] and p["code"] is None for p in pickups)
    raw = b"".join(fields[b"e"] for _, fields in entries)
    assert code.encode() not in raw and wrong.encode() not in raw


async def test_a_handover_that_cannot_happen_says_where_the_order_stands(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "zh")
    placed, ref = await _accepted(chats, owner, "H-2")
    await _said(chats, owner, f"/delivered {ref}", f"订单 {ref} 是到店自提订单，不需要送货")
    await _said(chats, owner, f"/pickup {ref} {placed['pickup_code']}", f"✅ 订单 {ref} 已交付")
    await _said(chats, owner, f"/delivered {ref}", f"订单 {ref} 已经交付，无需再操作。")
    texts = [m.get("text") or "" for m in await chats.emu.messages(owner) if m.get("from_bot")]
    assert not [t for t in texts if "标记为已送达" in t]

    english = await chats.bound("near", "staff", "en")
    offered = await chats.order("H-3")
    ref = offered["id"].removeprefix("o_")[:6].upper()
    await chats.expect(english, f"New order {ref}")
    await _said(chats, english, f"/pickup {ref} {offered['pickup_code']}",
                f"Order {ref} is still waiting for your answer: accept it first")  # fmt: skip
