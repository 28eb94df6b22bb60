"""`GET /v1/broadcasts/{id}/recipients`: each chat, its delivery, who has not acknowledged."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from services.broadcasts.models import BroadcastRecipient
from shared.chat.models import ChatMessage
from shared.runtime import Runtime
from tests.api.test_pages import walk
from tests.broadcasts.support import network
from tests.conftest import ApiClient


async def _delivered(runtime: Runtime, broadcast_id: str, states: dict[int, str]) -> None:
    """Mark each chat's message of the broadcast as the sender would have left it."""
    async with runtime.db.write() as session:
        for chat_id, state in states.items():
            sent_at = runtime.clock.now() if state == "sent" else None
            await session.exec(
                update(ChatMessage)
                .where(col(ChatMessage.key) == f"bc:{broadcast_id}:{chat_id}")
                .values(state=state, sent_at=sent_at)
            )


async def _acknowledged(runtime: Runtime, broadcast_id: str, chat_id: int) -> None:
    async with runtime.db.write() as session:
        await session.exec(
            update(BroadcastRecipient)
            .where(
                col(BroadcastRecipient.broadcast_id) == broadcast_id,
                col(BroadcastRecipient.chat_id) == chat_id,
            )
            .values(acked_at=runtime.clock.now() + timedelta(minutes=5), acked_by=chat_id)
        )


async def test_recipients_show_each_chats_state_and_who_has_not_acknowledged(
    api: ApiClient, runtime: Runtime
) -> None:
    await network(runtime.db, runtime.clock, [1, 2, 3, 5])  # d0..d3 in Sichuan
    await network(runtime.db, runtime.clock, [4], region="Yunnan", prefix="y")
    status, made = await api.call(
        "POST", "/v1/broadcasts", {"text": "New rules", "requires_ack": True}
    )
    assert status == 201 and made["audience"] == 5
    bid = made["id"]
    await _delivered(runtime, bid, {1: "sent", 2: "sent", 3: "failed", 5: "blocked"})
    await _acknowledged(runtime, bid, 1)

    status, page = await api.call("GET", f"/v1/broadcasts/{bid}/recipients")
    assert status == 200, page
    assert page["broadcast_id"] == bid and page["next_cursor"] is None
    rows = page["recipients"]
    assert [(r["chat_id"], r["dealer_id"], r["state"]) for r in rows] == [
        (1, "d0", "acknowledged"), (2, "d1", "sent"), (3, "d2", "failed"), (4, "y0", "queued"),
        (5, "d3", "blocked"),
    ]  # fmt: skip
    first = rows[0]
    assert (first["user_id"], first["dealer_name"], first["language"]) == (1, "Store d0", "en")
    assert first["acknowledged_by"] == 1 and first["acknowledged_at"] is not None
    assert rows[1]["sent_at"] is not None and rows[1]["acknowledged_at"] is None
    assert rows[3]["sent_at"] is None
    assert "User 1" not in str(page)  # the chat users' names are never shown

    async def only(state: str) -> list[int]:
        status, found = await api.call("GET", f"/v1/broadcasts/{bid}/recipients?state={state}")
        assert status == 200, found
        return [r["chat_id"] for r in found["recipients"]]

    assert await only("unacknowledged") == [2]  # told, and no answer: whom to chase
    assert await only("acknowledged") == [1]
    assert await only("sent") == [2]
    assert await only("queued") == [4]
    assert await only("failed") == [3] and await only("blocked") == [5]
    assert (await api.call("GET", f"/v1/broadcasts/{bid}/recipients?state=read"))[0] == 422

    pages = await walk(api, f"/v1/broadcasts/{bid}/recipients", "recipients", 2)
    assert [[r["chat_id"] for r in p] for p in pages] == [[1, 2], [3, 4], [5]]
    status, text = await api.call("GET", f"/v1/broadcasts/{bid}/recipients?format=csv")
    listed = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert status == 200 and [row["state"] for row in listed] == [r["state"] for r in rows]
    assert listed[0]["dealer_name"] == "Store d0" and listed[3]["acknowledged_at"] == ""


async def test_recipients_of_no_broadcast_are_a_404(api: ApiClient, runtime: Runtime) -> None:
    assert (await api.call("GET", "/v1/broadcasts/bnope/recipients"))[0] == 404
    await network(runtime.db, runtime.clock, [1])
    _, made = await api.call("POST", "/v1/broadcasts", {"text": "hi"})
    status, page = await api.call("GET", f"/v1/broadcasts/{made['id']}/recipients?cursor=xyz")
    assert status == 422 and page["error"]["fields"][0]["field"] == "cursor"
