"""The statistics follow real orders through chat, and answer HQ over the API."""

from __future__ import annotations

from typing import Any

from tests.api.test_access import make_key
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


async def stats(chats: Chats, path: str) -> Any:
    status, body = await chats.api.call("GET", path)
    assert status == 200, body
    return body


async def test_an_accepted_and_a_declined_offer_are_counted(counted: Chats) -> None:
    chats = counted
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner")
    placed = await chats.order("C-1")
    offer = await chats.expect(owner, "New order")
    await chats.emu.press(owner, offer["message_id"], data=chats.button(offer, "Accept"))
    await chats.expect(owner, "you accepted it")

    async def accepted_counted() -> bool:
        body = await stats(chats, "/v1/stats/dealers")
        return bool(body["dealers"]) and body["dealers"][0]["accepted"] == 1

    await eventually(accepted_counted)
    [near] = (await stats(chats, "/v1/stats/dealers"))["dealers"]
    assert (near["dealer_id"], near["offers"], near["acceptance_rate"]) == ("near", 1, 1.0)
    assert near["accept_p50_s"] is not None and near["accept_p50_s"] <= 15
    assert near["days_since_stock_report"] == 0  # counted today
    network = (await stats(chats, "/v1/stats/offers"))["network"]
    assert (network["offers"], network["accepted"], network["declined"]) == (1, 1, 0)

    orders = await stats(chats, "/v1/stats/orders")
    assert orders["by"] == "status" and orders["period"] == "day"
    assert [(r["value"], r["orders"], r["amount_minor"]) for r in orders["rows"]] == [
        ("accepted", 1, 199_900)
    ]
    assert orders["waiting_for_hq"] == 0
    hourly = await stats(chats, "/v1/stats/orders?period=hour&by=channel")
    assert [(r["value"], r["orders"]) for r in hourly["rows"]] == [("mall", 1)]
    regions = await stats(chats, "/v1/stats/orders?by=region&region=sichuan")
    assert [(r["value"], r["orders"]) for r in regions["rows"]] == [("sichuan", 1)]
    _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
    assert view["status"] == "accepted"
    for channel, asked, expected in (("mall", "", 1), ("mall", "?channel=jd", 0), ("jd", "", 0)):
        key = await make_key(chats.api, f"{channel}-stats", ["stats:read"], channel=channel)
        headers = {"Authorization": f"Bearer {key}"}
        async with chats.api.http.get(
            f"{chats.api.url}/v1/stats/orders{asked}", headers=headers
        ) as r:
            counted = sum(row["orders"] for row in (await r.json())["rows"])
        assert (r.status, counted) == (200, expected), (channel, asked)

    # A second order the only stocked dealer declines: nobody else can take it, so it waits.
    placed = await chats.order("C-2")
    offer = await chats.expect(owner, "New order", after=offer["message_id"])
    await chats.emu.press(owner, offer["message_id"], data=chats.button(offer, "Decline"))

    async def declined_counted() -> bool:
        network = (await stats(chats, "/v1/stats/offers"))["network"]
        return bool(network["declined"] == 1)

    async def reasons_shown() -> bool:
        found = [
            m for m in await chats.emu.messages(owner) if m["message_id"] == offer["message_id"]
        ]
        offer.update(found[0])
        return "Too busy" in str(found[0].get("reply_markup"))

    await eventually(reasons_shown)
    await chats.emu.press(owner, offer["message_id"], data=chats.button(offer, "Too busy"))
    await eventually(declined_counted)
    network = (await stats(chats, "/v1/stats/offers"))["network"]
    assert (network["declined_too_busy"], network["acceptance_rate"]) == (1, 0.5)

    async def waiting() -> bool:
        return bool((await stats(chats, "/v1/stats/orders"))["waiting_for_hq"] == 1)

    await eventually(waiting)
    rows = (await stats(chats, "/v1/stats/orders"))["rows"]
    assert sorted((r["value"], r["orders"]) for r in rows) == [
        ("accepted", 1), ("waiting_for_hq", 1)
    ]  # fmt: skip


async def test_bad_periods_are_refused_by_name(counted: Chats) -> None:
    api = counted.api
    status, body = await api.call("GET", "/v1/stats/orders?period=week&by=colour")
    assert status == 422 and {f["field"] for f in body["error"]["fields"]} == {"period", "by"}
    status, body = await api.call("GET", "/v1/stats/orders?from=2026-12-04&to=2026-12-01")
    assert status == 422 and body["error"]["fields"][0]["field"] == "to"
    status, body = await api.call(
        "GET", "/v1/stats/orders?period=hour&from=2026-01-01&to=2026-03-01"
    )
    assert status == 422 and "31 days" in body["error"]["fields"][0]["message"]
    status, body = await api.call("GET", "/v1/stats/orders?period=hour&by=region")
    assert status == 422 and body["error"]["fields"][0]["message"] == "by day only, not by hour"
