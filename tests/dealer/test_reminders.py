"""Stock not reported for N days: the dealer's owner and staff are reminded, once a period."""

from __future__ import annotations

from bots.dealer.reminders import remind_stale_stock
from shared.clock import FakeClock
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


async def test_stale_stock_is_reminded_once_per_period_in_each_language(chats: Chats) -> None:
    await chats.network()
    clock = chats.runtime.clock
    assert isinstance(clock, FakeClock)
    db = chats.runtime.db
    owner = await chats.bound("near", "owner", "en")
    staff = await chats.bound("near", "staff", "zh")
    other = await chats.bound("other", "owner", "en")
    hq = await chats.bound("hq", "hq", "en")
    await chats.stock("other", 5)  # "other" reports today; "near" never has

    assert await remind_stale_stock(db, clock, days=3) == 2
    await chats.expect(owner, "You have not reported any stock yet")
    await chats.expect(staff, "您还没有报过库存")
    assert await remind_stale_stock(db, clock, days=3) == 0  # the same period: nothing new

    await chats.say(owner, "/stock PX-1 4")
    await chats.expect(owner, "Saved")

    async def reported() -> bool:
        _, body = await chats.api.call("GET", "/v1/dealers/near/stock")
        return any(level["on_hand"] == 4 for level in body["levels"])

    await eventually(reported)
    clock.advance(days=2)
    assert await remind_stale_stock(db, clock, days=3) == 0  # both reported within 3 days
    clock.advance(days=2)
    assert await remind_stale_stock(db, clock, days=3) == 3  # near's owner and staff, other
    await chats.expect(owner, "Your stock counts are 4 days old")
    await chats.expect(staff, "您的库存已 4 天未更新")
    await chats.expect(other, "Your stock counts are 4 days old")
    assert await remind_stale_stock(db, clock, days=0) == 0  # 0 turns reminders off
    assert not [m for m in await chats.emu.messages(hq) if "stock" in (m["text"] or "")]
