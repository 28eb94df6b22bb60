"""Offers in chat: Accept and Decline buttons, the outcome edited in, handover by code."""

from __future__ import annotations

from shared.bus.relay import TimerRunner
from shared.clock import FakeClock
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


async def test_an_offer_is_accepted_prepared_and_picked_up_in_chat(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "zh")
    staff = await chats.bound("near", "staff", "en")
    placed = await chats.order("C-1")
    ref = placed["id"].removeprefix("o_")[:6].upper()

    offer = await chats.expect(staff, f"New order {ref}")
    owner_offer = await chats.expect(owner, f"新订单 {ref}")
    assert (
        "Zhang" not in offer["text"] and "138" not in offer["text"]
    )  # no customer before accepting
    answer = await chats.emu.press(staff, offer["message_id"], data=chats.button(offer, "Accept"))
    assert answer.answered

    await chats.expect(staff, "you accepted it")  # the offer message, edited
    edited = await chats.expect(owner, "您已接单")
    assert edited["message_id"] == owner_offer["message_id"]
    details = await chats.expect(staff, "Customer: Zhang Wei")
    await chats.emu.press(staff, details["message_id"], data=chats.button(details, "Ready"))
    await chats.expect(staff, f"/pickup {ref} CODE")

    code = placed["pickup_code"]
    await chats.say(staff, f"/pickup {ref} {'000001' if code != '000001' else '000002'}")
    wrong = await chats.expect(staff, "tries left")
    await chats.say(staff, f"/pickup {ref.lower()} {code}")
    await chats.expect(staff, "handed over", after=wrong["message_id"])

    async def completed() -> bool:
        _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
        return view["status"] == "completed"

    await eventually(completed)


async def test_decline_asks_why_and_out_of_stock_zeroes_the_count(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 4)
    owner = await chats.bound("near", "owner")
    placed = await chats.order("C-2")
    offer = await chats.expect(owner, "New order")
    await chats.emu.press(owner, offer["message_id"], data=chats.button(offer, "Decline"))

    async def reasons_shown() -> bool:
        [message] = [
            m for m in await chats.emu.messages(owner) if m["message_id"] == offer["message_id"]
        ]
        offer.update(message)
        return "Out of stock" in str(message.get("reply_markup"))

    await eventually(reasons_shown)
    await chats.emu.press(owner, offer["message_id"], data=chats.button(offer, "Out of stock"))
    await chats.expect(owner, "you declined it")

    async def zeroed() -> bool:
        _, body = await chats.api.call("GET", "/v1/dealers/near/stock")
        return any(lv["sku"] == "PX-1" and lv["on_hand"] == 0 for lv in body["levels"])

    await eventually(zeroed)
    _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
    assert view["offers"][0]["decline_reason"] == "out_of_stock"


async def test_buttons_refuse_other_dealers_forgeries_and_replays(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner")
    stranger = await chats.bound("other", "owner")
    hq = await chats.bound("hq", "hq")
    await chats.order("C-3")
    offer = await chats.expect(owner, "New order")
    accept = chats.button(offer, "Accept")

    # Another dealer, and HQ, replay the button's data from their own chats.
    for user in (stranger, hq):
        own = await chats.last_id(user)
        refused = await chats.emu.press(user, own, data=accept, forge=True, chat_id=user)
        assert refused.text == "That button is not for you."
    forged = await chats.emu.press(owner, offer["message_id"], data="nonsense", forge=True)
    assert forged.text == "That button is not valid."
    first = await chats.emu.press(owner, offer["message_id"], data=accept)
    assert first.text == "Accepting…"
    replay = await chats.emu.press(owner, offer["message_id"], data=accept, forge=True)
    assert replay.text == "That was already answered."


async def test_an_unanswered_offer_is_reminded_before_it_runs_out(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 1)
    owner = await chats.bound("near", "owner")
    await chats.order("C-4")
    offer = await chats.expect(owner, "New order")
    timers = TimerRunner(chats.runtime.db, chats.runtime.clock)
    clock = chats.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(minutes=7)
    await timers.fire_due()
    assert await chats.last_id(owner) == offer["message_id"]  # nothing yet
    clock.advance(minutes=1, seconds=1)
    await timers.fire_due()
    await chats.expect(owner, "2 minutes left", after=offer["message_id"])
