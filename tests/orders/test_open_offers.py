"""`GET /v1/offers`: offers waiting in dealers' chats, soonest to expire first."""

from __future__ import annotations

import csv
import io
from typing import Any

from shared.messages.orders import DeclineOffer
from tests.api.test_pages import walk
from tests.orders.conftest import NEAR_BODY, Flow, dealer, dealer_actor, order


async def _offers(flow: Flow, query: str = "", **headers: str) -> list[dict[str, Any]]:
    status, page = await flow.api.call("GET", f"/v1/offers{query}", headers=headers)
    assert status == 200, page
    return list(page["offers"])


async def test_open_offers_soonest_to_expire_first_and_a_channel_sees_its_own(
    flow: Flow,
) -> None:
    await flow.setup(
        {"near": NEAR_BODY, "other": dealer("Other Store", 30.66, 104.07)},
        {"near": 5, "other": 5},
    )
    placed = []
    for external_id, channel in (("E-1", "mall"), ("E-2", "jd"), ("E-3", "mall")):
        made = await flow.place(order(external_id, channel=channel))
        await flow.until(made["id"], "offered")
        placed.append(made["id"])
        await flow.pass_time(minutes=2)  # each offer two minutes after the one before
    # Six minutes on, the offers (ten minutes each) have 4, 6 and 8 minutes left.
    offers = await _offers(flow)
    assert [o["order_id"] for o in offers] == placed
    assert [o["seconds_left"] for o in offers] == [240, 360, 480]
    assert [o["channel"] for o in offers] == ["mall", "jd", "mall"]
    first = offers[0]
    assert set(first) == {
        "offer_id", "order_id", "dealer_id", "channel", "attempt", "offered_at", "expires_at",
        "seconds_left",
    }  # fmt: skip
    assert first["dealer_id"] in ("near", "other") and first["attempt"] == 1
    assert "Zhang" not in str(offers) and "138" not in str(offers)  # never the customer

    assert [o["order_id"] for o in await _offers(flow, "?expiring_within=360")] == placed[:2]
    assert await _offers(flow, "?state=open&expiring_within=0") == []
    pages = await walk(flow.api, "/v1/offers", "offers", 2)
    assert [[o["order_id"] for o in page] for page in pages] == [placed[:2], placed[2:]]
    status, text = await flow.api.call("GET", "/v1/offers?format=csv")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert status == 200 and [r["seconds_left"] for r in rows] == ["240", "360", "480"]

    status, made = await flow.api.call(
        "POST", "/v1/keys", {"name": "jd", "scopes": ["orders:read"], "channel": "jd"}
    )
    assert status == 201
    jd = {"Authorization": f"Bearer {made['token']}"}
    assert [o["order_id"] for o in await _offers(flow, **jd)] == [placed[1]]

    # Declined, an offer is no longer open; the order's next offer is, with its own deadline.
    await flow.send(
        DeclineOffer(offer_id=first["offer_id"], reason="too_busy",
                     actor=dealer_actor(first["dealer_id"]))
    )  # fmt: skip
    await flow.until_offered_to(placed[0], "other" if first["dealer_id"] == "near" else "near")
    offers = await _offers(flow)
    assert [o["order_id"] for o in offers] == [placed[1], placed[2], placed[0]]
    assert (offers[2]["attempt"], offers[2]["seconds_left"]) == (2, 600)
    assert first["offer_id"] not in [o["offer_id"] for o in offers]
    for bad in ("?state=closed", "?expiring_within=-1", "?expiring_within=604801", "?cursor=x"):
        status, _ = await flow.api.call("GET", f"/v1/offers{bad}")
        assert status == 422, bad
