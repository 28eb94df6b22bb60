"""Customers' details are cleared from every copy a retention after their order ends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bots.dealer.models import BotOrder
from services.orders.models import OrderRow
from services.orders.retention import apply_retention
from services.orders.service import RETENTION_JOB, scheduler_for
from shared.bus.streams import PREFIX
from shared.chat.models import ChatMessage
from shared.clock import FakeClock
from shared.runtime import Runtime
from tests.bus.support import eventually
from tests.dealer.conftest import Chats
from tests.orders.conftest import order

ENDED = {"id": "c-ended", "name": "Li Lei", "phone": "+86 139 1111 2222"}
OPEN = {"id": "c-open", "name": "Han Meimei", "phone": "+86 137 3333 4444"}


@pytest.fixture
def clock() -> FakeClock:
    """Now as Redis sees it too: stream entry ids are the server's milliseconds."""
    return FakeClock(datetime.now(UTC))


async def _accepted(chats: Chats, user: int, external_id: str, customer: dict[str, str],
                    fulfilment: str) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    body = order(external_id, fulfilment=fulfilment, customer=customer)
    status, placed = await chats.api.call("POST", "/v1/orders", body)
    assert status == 201, placed
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(user, f"New order {ref}")
    await chats.emu.press(user, offer["message_id"], data=chats.button(offer, "Accept"))
    accepted = await chats.expect(user, f"Order {ref} is yours")
    assert customer["name"] in accepted["text"] and customer["phone"] in accepted["text"]
    return placed, accepted


async def _row(chats: Chats, order_id: str) -> OrderRow:
    async with chats.runtime.db.read() as session:
        row = await session.get(OrderRow, order_id)
    assert row is not None
    return row


async def _stream_bytes(chats: Chats) -> bytes:
    redis = chats.runtime.redis
    raw = b""
    async for key in redis.scan_iter(match=f"{PREFIX}*", _type="STREAM"):
        for _, fields in await redis.xrange(key):
            raw += b"".join(fields.values())
    return raw


async def test_a_customer_is_forgotten_everywhere_a_retention_after_the_order_ends(
    chats: Chats, clock: FakeClock
) -> None:
    await chats.network()
    await chats.stock("near", 5)
    owner = await chats.bound("near", "owner", "en")
    ended, ended_chat = await _accepted(chats, owner, "R-1", ENDED, "pickup")
    still_open, open_chat = await _accepted(chats, owner, "R-2", OPEN, "delivery")
    ref = ended["id"].removeprefix("o_")[:6].upper()
    before = await chats.last_id(owner)
    await chats.say(owner, f"/pickup {ref} {ended['pickup_code']}")
    await chats.expect(owner, f"Order {ref} handed over", after=before)

    async def completed() -> bool:
        return (await _row(chats, ended["id"])).status == "completed"

    await eventually(completed)
    assert ENDED["phone"].encode() in await _stream_bytes(chats)

    clock.advance(days=89)  # within the retention: everything is kept
    assert (await apply_retention(chats.runtime)).orders == 0
    assert (await _row(chats, ended["id"])).intake["customer"]["name"] == ENDED["name"]

    clock.advance(days=2)  # 91 days after it ended
    assert (await apply_retention(chats.runtime)).orders == 1
    row = await _row(chats, ended["id"])
    assert row.customer_cleared_at == clock.now()
    assert row.intake["customer"] == {
        "id": "c-ended",
        "name": "",
        "phone": "",
        "referral_code": None,
    }
    assert row.intake["address"]["line"] == "" and row.intake["address"]["city"] == "Chengdu"
    assert row.intake["address"]["lat"] == 30.7  # a tenth of a degree: the district, no more
    assert (await _row(chats, still_open["id"])).intake["customer"]["name"] == OPEN["name"]
    raw = await _stream_bytes(chats)
    assert ENDED["phone"].encode() not in raw and ENDED["name"].encode() not in raw

    async def chat_edited() -> bool:
        shown = {m["message_id"]: m for m in await chats.emu.messages(owner)}
        return "have been removed" in shown[ended_chat["message_id"]]["text"]

    await eventually(chat_edited)
    shown = {m["message_id"]: m for m in await chats.emu.messages(owner)}
    assert ENDED["phone"] not in shown[ended_chat["message_id"]]["text"]
    assert not shown[ended_chat["message_id"]].get("reply_markup")  # the button went too
    assert OPEN["phone"] in shown[open_chat["message_id"]]["text"]  # its order is not over
    async with chats.runtime.db.read() as session:
        views = {v.order_id: v.customer for v in (await session.exec(select(BotOrder))).all()}
        kept = [m.payload for m in (await session.exec(select(ChatMessage))).all()]
    assert views == {ended["id"]: {}, still_open["id"]: {k: OPEN[k] for k in ("name", "phone")}}
    texts = " ".join(str(p) for p in kept)
    assert ENDED["phone"] not in texts and ENDED["name"] not in texts and OPEN["name"] in texts

    assert (await apply_retention(chats.runtime)).orders == 0  # once is enough


def test_the_orders_service_runs_the_retention_hourly_on_its_elected_replica(
    runtime: Runtime,
) -> None:
    job = scheduler_for(runtime).scheduler.get_job(RETENTION_JOB)
    assert job is not None and job.func is apply_retention
    assert job.trigger.interval.total_seconds() == 3600
