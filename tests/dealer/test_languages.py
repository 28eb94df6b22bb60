"""A dealer's working day, once in English and once in Chinese: every step in their language.

Expected texts come from the catalogs, so both runs check the same journey: help, stock by
message and by file, an offer declined with a reason, one accepted and handed over by
code, a delivery confirmed by command, a pause and a resume.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.chat.i18n import t
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_dealers_day(chats: Chats, language: str) -> None:
    def text(key: str, **values: Any) -> str:
        return t(language, key, **values)

    def head(key: str, **values: Any) -> str:
        """The text up to a value the test does not know (the deadline, the phone)."""
        return text(key, **values, deadline="\0", phone="\0").split("\0")[0]

    await chats.network()
    owner = await chats.bound("near", "owner", language)

    async def answer(command: str, key: str, **values: Any) -> dict[str, Any]:
        before = await chats.last_id(owner)
        await chats.say(owner, command)
        return await chats.expect(owner, text(key, **values), after=before)

    async def status(order_id: str, wanted: str) -> None:
        async def reached() -> bool:
            _, view = await chats.api.call("GET", f"/v1/orders/{order_id}")
            return bool(view["status"] == wanted)

        await eventually(reached)

    help_text = await answer("/help", "help.title")
    for command in ("help.orders", "help.pickup", "help.stock", "help.pause", "help.earnings"):
        assert text(command) in help_text["text"]
    await answer("/stock PX-1 1", "stock.saved", count=1)
    await chats.emu.upload_document(owner, "s.csv", b"sku,on_hand\nPX-1,3\n", "text/csv")
    await chats.expect(owner, text("stock.saved", count=1))

    async def three() -> bool:
        _, body = await chats.api.call("GET", "/v1/dealers/near/stock")
        return any(level["on_hand"] == 3 for level in body["levels"])

    await eventually(three)

    declined = await chats.order(f"D-{language}-1")
    ref = declined["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, head("offer.title", ref=ref))
    await chats.emu.press(
        owner, offer["message_id"], data=chats.button(offer, text("offer.decline"))
    )

    async def reasons() -> bool:
        [now] = [
            m for m in await chats.emu.messages(owner) if m["message_id"] == offer["message_id"]
        ]
        offer.update(now)
        return text("offer.reason.too_busy") in str(now.get("reply_markup"))

    await eventually(reasons)
    reason = chats.button(offer, text("offer.reason.too_busy"))
    await chats.emu.press(owner, offer["message_id"], data=reason)
    await chats.expect(owner, text("offer.closed.declined", ref=ref))

    picked = await chats.order(f"D-{language}-2")
    ref = picked["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, head("offer.title", ref=ref))
    await chats.emu.press(
        owner, offer["message_id"], data=chats.button(offer, text("offer.accept"))
    )
    details = await chats.expect(owner, head("accepted.title", ref=ref, customer="Zhang Wei"))
    await chats.emu.press(
        owner, details["message_id"], data=chats.button(details, text("button.ready"))
    )
    await chats.expect(owner, text("ready.pickup", ref=ref))
    await answer(f"/pickup {ref} {picked['pickup_code']}", "handover.done.pickup", ref=ref)
    await status(picked["id"], "completed")

    delivery = await chats.order(f"D-{language}-3", fulfilment="delivery")
    ref = delivery["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, head("offer.title", ref=ref))
    await chats.emu.press(
        owner, offer["message_id"], data=chats.button(offer, text("offer.accept"))
    )
    details = await chats.expect(owner, head("accepted.title", ref=ref, customer="Zhang Wei"))
    await chats.emu.press(
        owner, details["message_id"], data=chats.button(details, text("button.out"))
    )
    await chats.expect(owner, text("ready.delivery", ref=ref))
    await answer(f"/delivered {ref}", "handover.done.delivery", ref=ref)
    await status(delivery["id"], "completed")

    await answer("/pause", "pause.done")
    await answer("/resume", "resume.done")
