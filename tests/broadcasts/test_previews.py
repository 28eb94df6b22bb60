"""`POST /v1/broadcasts/preview`: the notice and its audience, nothing sent or stored."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from services.broadcasts.models import Broadcast
from services.broadcasts.render import body
from shared.audit import entries
from shared.runtime import Runtime
from tests.broadcasts.support import keys, network
from tests.conftest import ApiClient


async def _stored(runtime: Runtime) -> tuple[int, int]:
    """Broadcasts and audit entries in the tables."""
    async with runtime.db.read() as session:
        made = (await session.exec(select(Broadcast))).all()
        return len(made), len(await entries(session))


async def test_a_preview_shows_the_notice_and_its_audience_and_sends_nothing(
    api: ApiClient, runtime: Runtime
) -> None:
    await network(runtime.db, runtime.clock, [1, 2, 3])
    await network(runtime.db, runtime.clock, [4], region="Yunnan", prefix="y")
    sent = {"text": " Stock count on Friday.\nThank you! ", "region": "四川", "requires_ack": True}
    status, view = await api.call("POST", "/v1/broadcasts/preview", sent)
    assert status == 200, view
    text = "Stock count on Friday.\nThank you!"
    assert view == {
        "kind": "notice", "region": "四川", "requires_ack": True, "audience": 3,
        "messages": {lang: body("notice", {"text": text}, lang) for lang in ("en", "zh")},
    }  # fmt: skip
    assert view["messages"]["en"] == "📢 From HQ:\n" + text
    _, everyone = await api.call("POST", "/v1/broadcasts/preview", {"text": "hi"})
    assert (everyone["audience"], everyone["region"], everyone["requires_ack"]) == (4, None, False)
    assert await _stored(runtime) == (0, 0)
    assert await keys(runtime.db, "bc:") == {}

    status, made = await api.call("POST", "/v1/broadcasts", sent)
    assert status == 201 and made["audience"] == view["audience"]


async def test_bad_input_gets_the_same_answer_as_the_create_route(
    api: ApiClient, runtime: Runtime
) -> None:
    await network(runtime.db, runtime.clock, [1])
    bad: Any
    for bad in (
        {}, {"text": ""}, {"text": "   "}, {"text": "x" * 3501}, {"text": "hi", "region": ""},
        {"text": "hi", "kind": "price"}, {"text": "hi", "region": "Tibet"}, [],
    ):  # fmt: skip
        status, answer = await api.call("POST", "/v1/broadcasts", bad)
        shown = await api.call("POST", "/v1/broadcasts/preview", bad)
        assert shown == (status, answer), (bad, shown, answer)
        assert status == 422 and answer["error"]["fields"], bad
    status, answer = await api.call(
        "POST", "/v1/broadcasts/preview", {"text": "hi", "region": "Tibet"}
    )
    assert (answer["error"]["code"], answer["error"]["fields"][0]["field"]) == (
        "no_audience",
        "region",
    )
    status, _ = await api.call("POST", "/v1/broadcasts/preview", data=b"{")
    assert status == 400
    assert await _stored(runtime) == (0, 0)


async def test_a_preview_needs_broadcasts_write(api: ApiClient, runtime: Runtime) -> None:
    await network(runtime.db, runtime.clock, [1])
    status, made = await api.call("POST", "/v1/keys", {"name": "r", "scopes": ["readonly"]})
    assert status == 201
    reader = {"Authorization": f"Bearer {made['token']}"}
    status, _ = await api.call("POST", "/v1/broadcasts/preview", {"text": "hi"}, headers=reader)
    assert status == 403
