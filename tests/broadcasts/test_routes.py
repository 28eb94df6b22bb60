"""`POST /v1/broadcasts`, `GET /v1/broadcasts` and `GET /v1/broadcasts/{id}` over HTTP."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update
from sqlmodel import col

from services.access.public import ADMIN_CALLER
from shared.audit import entries
from shared.chat.models import ChatMessage
from shared.runtime import Runtime
from tests.api.test_pages import walk
from tests.broadcasts.support import keys, network, pump
from tests.conftest import ApiClient

ADMIN_ACTOR = ADMIN_CALLER.actor  # the audit's name for the admin token


async def test_post_queues_a_notice_and_get_counts_it(api: ApiClient, runtime: Runtime) -> None:
    await network(runtime.db, runtime.clock, [1, 2, 3])
    await network(runtime.db, runtime.clock, [4], region="Yunnan", prefix="y")
    status, body = await api.call(
        "POST", "/v1/broadcasts", {"text": "Inventory on Friday", "region": "SICHUAN"}
    )
    assert status == 201, body
    assert body["audience"] == 3 and body["state"] == "queued"
    assert await keys(runtime.db, f"bc:{body['id']}:") == {1: 1, 2: 1, 3: 1}
    async with runtime.db.write() as session:
        await session.exec(
            update(ChatMessage)
            .where(col(ChatMessage.key).in_([f"bc:{body['id']}:1", f"bc:{body['id']}:2"]))
            .values(state="sent")
        )
    status, view = await api.call("GET", f"/v1/broadcasts/{body['id']}")
    assert status == 200
    assert {k: view[k] for k in ("audience", "queued", "sent", "delivered", "failed")} == {
        "audience": 3, "queued": 1, "sent": 2, "delivered": 2, "failed": 0,
    }  # fmt: skip
    assert (view["blocked"], view["acknowledged"], view["kind"]) == (0, 0, "notice")
    assert view["params"] == {"text": "Inventory on Friday"}
    async with runtime.db.read() as session:
        [entry] = await entries(session, action="broadcast.send")
    assert (entry.actor, entry.target) == (ADMIN_ACTOR, body["id"])


async def test_post_to_everyone_with_acknowledgement(api: ApiClient, runtime: Runtime) -> None:
    await network(runtime.db, runtime.clock, [1, 2])
    await network(runtime.db, runtime.clock, [4], region="Yunnan", prefix="y")
    status, body = await api.call(
        "POST", "/v1/broadcasts", {"text": "Read the new rules", "requires_ack": True}
    )
    assert status == 201 and body["audience"] == 3
    await pump(runtime.db, runtime.clock)
    _, view = await api.call("GET", f"/v1/broadcasts/{body['id']}")
    assert view["requires_ack"] is True and view["region"] is None and view["queued"] == 3


async def test_bad_requests_change_nothing(api: ApiClient, runtime: Runtime) -> None:
    await network(runtime.db, runtime.clock, [1])
    for bad in ({}, {"text": ""}, {"text": "x" * 3501}, {"text": "hi", "region": ""},
                {"text": "hi", "kind": "price"}):  # fmt: skip
        status, body = await api.call("POST", "/v1/broadcasts", bad)
        assert status == 422, (bad, body)
        assert body["error"]["fields"]
    status, body = await api.call("POST", "/v1/broadcasts", {"text": "   "})
    assert (status, body["error"]["fields"][0]["field"]) == (422, "text")
    status, body = await api.call("POST", "/v1/broadcasts", {"text": "hi", "region": "Tibet"})
    assert (status, body["error"]["code"], body["error"]["fields"][0]["field"]) == (
        422,
        "no_audience",
        "region",
    )
    status, _ = await api.call("POST", "/v1/broadcasts", {"text": "hi"}, headers={
        "Authorization": "Bearer wrong"})  # fmt: skip
    assert status == 401
    status, _ = await api.call("GET", "/v1/broadcasts/nope")
    assert status == 404
    assert await keys(runtime.db, "bc:") == {}
    status, doc = await api.call("GET", "/v1/openapi.json")
    assert {"post"} <= set(doc["paths"]["/v1/broadcasts"])
    assert "get" in doc["paths"]["/v1/broadcasts/{broadcast_id}"]


async def test_broadcasts_list_newest_first_with_their_counts(
    api: ApiClient, runtime: Runtime
) -> None:
    await network(runtime.db, runtime.clock, [1, 2])
    sent = []
    for text in ("one", "two", "three"):
        status, body = await api.call("POST", "/v1/broadcasts", {"text": text})
        assert status == 201, body
        sent.append(body["id"])
    pages = await walk(api, "/v1/broadcasts", "broadcasts", 2)
    assert [[b["id"] for b in page] for page in pages] == [sent[:0:-1], sent[:1]]
    first = pages[1][0]
    assert (first["audience"], first["params"], first["kind"]) == (2, {"text": "one"}, "notice")
    assert (await api.call("GET", "/v1/broadcasts?kind=price"))[1]["broadcasts"] == []
    status, text = await api.call("GET", "/v1/broadcasts?format=csv")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert status == 200 and [row["id"] for row in rows] == sent[::-1]
    assert rows[0]["audience"] == "2"
