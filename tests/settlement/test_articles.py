"""The articles' example end to end: a Beijing dealer's customer in Chengdu, served in chat.

A customer bound to dealer A (Beijing) orders online from Chengdu; dealer B (Chengdu)
accepts and hands it over in chat; B, A and HQ get exactly the default shares; B asks
/earnings and sees them; after a partial return every figure drops by exactly the
returned line's shares. Real python-telegram-bot, the emulator, Redis and SQL.
"""

from __future__ import annotations

from services.orders.models import CustomerBinding
from services.settlement.check import check_ledger
from shared.db.uow import unit_of_work
from tests.bus.support import eventually
from tests.dealer.conftest import Chats
from tests.orders.conftest import CHENGDU, NEAR_BODY, PRODUCT, order
from tests.settlement.support import ZONE, balances

CASE = PRODUCT | {"name": "Phone X case", "category": "accessories", "list_price": "99.00",
                  "wholesale_price": "40.00", "floor_price": "79.00"}  # fmt: skip
BEIJING = NEAR_BODY | {"name": "Chaoyang Store", "region": "beijing", "city": "Beijing",
                       "lat": 39.92, "lon": 116.44}  # fmt: skip
# PX-1: paid 1999.00, wholesale 1500.00, margin 499.00 → B 1849.30, A 49.90, HQ 99.80.
# CASE-1 ×2: paid 198.00, wholesale 80.00, margin 118.00 → B 162.60, A 11.80, HQ 23.60.
SHARES = {"cd-b": 184930 + 16260, "bj-a": 4990 + 1180, "hq": 9980 + 2360}
# One case back: B gives back 81.30, A 5.90 (half their share, rounded down), HQ the rest.
CASE_BACK = {"cd-b": 8130, "bj-a": 590, "hq": 9900 - 8130 - 590}


async def test_a_beijing_customer_served_in_chengdu_is_split_and_shown_in_chat(
    settled_chats: Chats,
) -> None:
    chats = settled_chats
    for sku, product in (("PX-1", PRODUCT), ("CASE-1", CASE)):
        assert (await chats.api.call("PUT", f"/v1/products/{sku}", product))[0] == 201
    for dealer_id, store in (("cd-b", NEAR_BODY), ("bj-a", BEIJING)):
        assert (await chats.api.call("PUT", f"/v1/dealers/{dealer_id}", store))[0] == 201
    for sku in ("PX-1", "CASE-1"):
        path = f"/v1/dealers/cd-b/stock/{sku}"
        assert (await chats.api.call("PUT", path, {"on_hand": 5}))[0] == 200
    async with unit_of_work(chats.runtime.db, chats.runtime.clock) as uow:
        uow.session.add(CustomerBinding(customer_id="c-beijing", dealer_id="bj-a",
                                        bound_at=chats.runtime.clock.now()))  # fmt: skip
    b_owner = await chats.bound("cd-b", "owner")
    b_staff = await chats.bound("cd-b", "staff")
    a_owner = await chats.bound("bj-a", "owner", "zh")

    body = order("ART-1") | {
        "customer": {"id": "c-beijing", "name": "Zhang Wei", "phone": "+86 138 0000 0000"},
        "address": {"region": "sichuan", "city": "Chengdu", "line": "1 Tianfu Ave",
                    "lat": CHENGDU[0], "lon": CHENGDU[1]},
        "lines": [{"sku": "PX-1", "qty": 1, "unit_price": "1999.00"},
                  {"sku": "CASE-1", "qty": 2, "unit_price": "99.00"}],
    }  # fmt: skip
    status, placed = await chats.api.call("POST", "/v1/orders", body)
    assert status == 201, placed
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(b_owner, f"New order {ref}")
    await chats.emu.press(b_owner, offer["message_id"], data=chats.button(offer, "Accept"))
    details = await chats.expect(b_staff, "Customer: Zhang Wei")
    await chats.emu.press(b_staff, details["message_id"], data=chats.button(details, "Ready"))
    await chats.expect(b_staff, f"/pickup {ref} CODE")
    await chats.say(b_staff, f"/pickup {ref} {placed['pickup_code']}")
    await chats.expect(b_staff, "handed over")

    async def booked(expected: dict[str, int]) -> bool:
        got = await balances(chats.runtime.db)
        return (
            got.get("dealer:cd-b:earnings:pending") == expected["cd-b"]
            and got.get("dealer:bj-a:earnings:pending") == expected["bj-a"]
            and got.get("hq:revenue") == expected["hq"]
        )

    await eventually(lambda: booked(SHARES))
    assert sum(SHARES.values()) == 199900 + 2 * 9900  # exactly what the customer paid

    after = await chats.last_id(b_owner)
    await chats.say(b_owner, "/earnings")
    seen = await chats.expect(b_owner, "Earnings this week", after=after)
    assert "Orders handed over: 1 fulfilled, 0 from your customers" in seen["text"]
    assert "Earned: ¥2,011.90 fulfilment, ¥0.00 referral" in seen["text"]
    assert "Held ¥0.00 · pending ¥2,011.90 · available ¥0.00 · paid ¥0.00" in seen["text"]
    after = await chats.last_id(a_owner)
    await chats.say(a_owner, "/earnings today")
    seen = await chats.expect(a_owner, "今日收益", after=after)
    assert "收益：履约 ¥0.00，推荐 ¥61.70" in seen["text"]
    assert "来自您的顾客 1 单" in seen["text"]
    after = await chats.last_id(b_staff)
    await chats.say(b_staff, "/earnings")
    await chats.expect(b_staff, "Your role (staff) cannot do that", after=after)

    returns = {"lines": [{"sku": "CASE-1", "qty": 1}]}
    status, _ = await chats.api.call("POST", f"/v1/orders/{placed['id']}/returns", returns)
    assert status == 200
    dropped = {who: SHARES[who] - CASE_BACK[who] for who in SHARES}
    await eventually(lambda: booked(dropped))
    after = await chats.last_id(b_owner)
    await chats.say(b_owner, "/earnings week")
    seen = await chats.expect(b_owner, "Earnings this week", after=after)
    assert "Earned: ¥1,930.60 fulfilment" in seen["text"]  # 2,011.90 − 81.30
    assert "pending ¥1,930.60" in seen["text"]
    after = await chats.last_id(a_owner)
    await chats.say(a_owner, "/earnings month")
    seen = await chats.expect(a_owner, "本月收益", after=after)
    assert "推荐 ¥55.80" in seen["text"]  # 61.70 − 5.90
    after = await chats.last_id(b_owner)
    await chats.say(b_owner, "/earnings year")
    await chats.expect(b_owner, "/earnings today", after=after)
    report = await check_ledger(chats.runtime.db, zone=ZONE)
    assert report.ok, report.violation
