"""`/orders` puts the next step of every open order under a button; pickup codes by button."""

from __future__ import annotations

from typing import Any

from services.stock.view import avail_key
from shared.chat.i18n import LANGUAGES, t
from tests.bus.support import eventually
from tests.dealer.conftest import Chats

# How a reply to /orders begins, in every language (pushed messages begin otherwise).
ANSWERS = tuple(t(lang, key) for lang in LANGUAGES for key in ("orders.title", "orders.none"))


async def _orders(chats: Chats, user: int, contains: str) -> dict[str, Any]:
    """The /orders reply once it shows ``contains`` (the bot's view follows order events)."""
    found: dict[str, Any] = {}

    async def shown() -> bool:
        before = await chats.last_id(user)
        await chats.say(user, "/orders")
        reply = await chats.emu.wait_for_message(
            user, lambda m: (m["text"] or "").startswith(ANSWERS), after=before, timeout=10
        )
        found.update(reply)
        return contains in reply["text"]

    await eventually(shown, interval=0.3)
    return found


async def _press(chats: Chats, user: int, message: dict[str, Any], label: str) -> None:
    await chats.emu.press(user, message["message_id"], data=chats.button(message, label))


async def _status(chats: Chats, order_id: str, wanted: str) -> None:
    async def reached() -> bool:
        _, view = await chats.api.call("GET", f"/v1/orders/{order_id}")
        return bool(view["status"] == wanted)

    await eventually(reached)


async def test_orders_buttons_take_a_pickup_order_from_offer_to_handover(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "zh")
    staff = await chats.bound("near", "staff", "en")
    placed = await chats.order("N-1")
    ref = placed["id"].removeprefix("o_")[:6].upper()
    await chats.expect(staff, f"New order {ref}")

    listed = await _orders(chats, owner, "按下按钮")
    assert f"接单 · {ref}" in str(listed["reply_markup"])
    listed = await _orders(chats, staff, "Press a button")
    assert "waiting for your answer" in listed["text"]
    await _press(chats, staff, listed, f"Accept · {ref}")
    await _status(chats, placed["id"], "accepted")

    listed = await _orders(chats, staff, "to prepare")
    await _press(chats, staff, listed, f"Ready for pickup · {ref}")
    pushed = await chats.expect(staff, "press the button and type the code")
    assert "Enter pickup code" in str(pushed["reply_markup"])

    listed = await _orders(chats, owner, "等待顾客")
    data = chats.button(listed, f"输入提货码 · {ref}")
    await chats.emu.press(owner, listed["message_id"], data=data)
    prompt = await chats.expect(owner, f"订单 {ref} 的 6 位提货码")
    await chats.say(owner, "12 34")
    bad = await chats.expect(owner, "提货码是 6 位数字", after=prompt["message_id"])
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    full_width = placed["pickup_code"].translate(wide)
    await chats.say(owner, full_width)
    await chats.expect(owner, "已交付", after=bad["message_id"])
    await _status(chats, placed["id"], "completed")
    await _orders(chats, owner, "没有未完成的订单")


async def test_orders_buttons_take_a_delivery_to_delivered(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "en")
    placed = await chats.order("N-2", fulfilment="delivery")
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, f"New order {ref}")
    await _press(chats, owner, offer, "Accept")
    await _status(chats, placed["id"], "accepted")

    listed = await _orders(chats, owner, "to prepare")
    await _press(chats, owner, listed, "Out for delivery")
    await _status(chats, placed["id"], "out_for_delivery")
    listed = await _orders(chats, owner, "on its way")
    await _press(chats, owner, listed, "Delivered")
    await _status(chats, placed["id"], "completed")


async def test_a_code_is_only_taken_after_the_button_and_only_once(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner")
    placed = await chats.order("N-3")
    offer = await chats.expect(owner, "New order")
    # Without pressing "Enter pickup code", six digits are just text.
    await chats.say(owner, placed["pickup_code"])
    await chats.expect(owner, "I did not understand", after=offer["message_id"])
    await _status(chats, placed["id"], "offered")


async def _current(chats: Chats, user: int, message_id: int) -> dict[str, Any]:
    [now] = [m for m in await chats.emu.messages(user) if m["message_id"] == message_id]
    return dict(now)


async def test_a_spent_button_leaves_its_message_or_says_why_it_no_longer_applies(
    chats: Chats,
) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "zh")
    other = await chats.bound("other", "owner", "zh")
    placed = await chats.order("N-4")
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, f"新订单 {ref}")
    await chats.stock("other", 2)  # declined, the order goes on to the other store

    async def other_has_stock() -> bool:  # as routing reads it
        return bool(await chats.runtime.redis.hgetall(avail_key("other")))

    await eventually(other_has_stock)
    listed = await _orders(chats, owner, "按下按钮")
    await _press(chats, owner, listed, f"拒绝 · {ref}")

    async def reasons() -> bool:
        listed.update(await _current(chats, owner, listed["message_id"]))
        return "太忙" in str(listed.get("reply_markup"))

    await eventually(reasons)
    answer = await chats.emu.press(owner, listed["message_id"], data=chats.button(listed, "太忙"))
    assert answer.text == "正在拒绝…"

    async def cleared() -> bool:  # the reasons leave the /orders message once one is chosen
        now = await _current(chats, owner, listed["message_id"])
        return "缺货" not in str(now.get("reply_markup"))

    await eventually(cleared)
    await chats.expect(owner, f"订单 {ref}：您已拒绝。")  # the offer message, edited
    await chats.expect(other, f"新订单 {ref}")
    late = await chats.emu.press(
        owner, listed["message_id"], data=chats.button(listed, "缺货"), forge=True
    )
    assert late.text == "该订单已不再等待您答复，此按钮已失效。输入 /orders 查看未完成的订单。"
    late = await chats.emu.press(
        owner, offer["message_id"], data=chats.button(offer, "接单"), forge=True
    )
    assert late.text is not None and late.text.startswith("该订单已不再等待您答复")


async def test_a_step_button_of_an_order_that_moved_on_says_where_it_stands(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner")
    placed = await chats.order("N-5")
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, f"New order {ref}")
    await _press(chats, owner, offer, "Accept")
    details = await chats.expect(owner, f"Order {ref} is yours")
    await chats.say(owner, f"/pickup {ref} {placed['pickup_code']}")
    await chats.expect(owner, f"✅ Order {ref} handed over")
    await _status(chats, placed["id"], "completed")

    async def known() -> bool:  # the bot's view follows the order's events
        answer = await chats.emu.press(
            owner, details["message_id"], data=chats.button(details, "Ready"), forge=True
        )
        return answer.text == (
            f"Order {ref}: handed over. This button no longer applies; /orders shows the next step."
        )

    await eventually(known, interval=0.2)

    async def gone() -> bool:
        return not (await _current(chats, owner, details["message_id"])).get("reply_markup")

    await eventually(gone)
