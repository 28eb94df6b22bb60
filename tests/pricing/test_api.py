"""HQ's rules over HTTP: floors with history, promotions, bad input, the token, the audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from sqlmodel import select

from services.access.public import ADMIN_CALLER
from services.broadcasts.models import Broadcast
from tests.pricing.conftest import Shop

ADMIN_ACTOR = ADMIN_CALLER.actor  # the audit's name for the admin token


async def _broadcasts(shop: Shop) -> list[Broadcast]:
    async with shop.runtime.db.read() as session:
        return list((await session.exec(select(Broadcast))).all())


async def test_a_sku_floor_is_versioned_audited_announced_and_its_history_shown(
    shop: Shop,
) -> None:
    await shop.catalog()
    status, view = await shop.api.call("PUT", "/v1/price-rules/PX-1", {"floor": "1850.00"})
    assert status == 201, view
    assert (view["floor_in_force"], view["source"], view["base_floor"]) == (
        "1850.00", "sku", "1799.00",
    )  # fmt: skip
    status, again = await shop.api.call("PUT", "/v1/price-rules/PX-1", {"floor": "1850.00"})
    assert status == 200 and len(again["versions"]) == 1  # a repeated PUT changes nothing

    shop.clock.advance(minutes=5)
    later = shop.clock.now() + timedelta(days=1)
    status, view = await shop.api.call(
        "PUT", "/v1/price-rules/PX-1",
        {"floor": "1900", "effective_at": later.replace(tzinfo=None).isoformat()},
    )  # fmt: skip
    assert status == 201
    _, history = await shop.api.call("GET", "/v1/price-rules/PX-1")
    assert [(v["floor"], v["in_force"]) for v in history["versions"]] == [
        ("1850.00", True), ("1900.00", False),
    ]  # fmt: skip
    # A time without an offset is HQ's (Asia/Shanghai, UTC+8); the API answers in UTC.
    assert history["versions"][1]["effective_at"] == (later - timedelta(hours=8)).isoformat()
    assert history["versions"][0]["created_by"] == ADMIN_ACTOR
    # Finance's record of the floors: the whole history as CSV, as the JSON pages show it.
    status, csv = await shop.api.call("GET", "/v1/price-rules/PX-1?format=csv")
    assert status == 200, csv
    header, *rows = csv.lstrip("\ufeff").splitlines()
    assert header == "id,floor,currency,effective_at,created_at,created_by,in_force"
    assert [row.split(",")[1:3] + row.split(",")[-1:] for row in rows] == [
        ["1850.00", "CNY", "true"], ["1900.00", "CNY", "false"],
    ]  # fmt: skip

    [first, repeated, second] = await shop.audit("price_rule.set")
    assert (first.actor, first.role, first.target, first.allowed) == (
        ADMIN_ACTOR,
        "hq",
        "sku:PX-1",
        True,
    )
    assert first.detail["floor"] == 185000 and second.detail["floor"] == 190000
    assert repeated.detail["unchanged"] and repeated.detail["rule_id"] == first.detail["rule_id"]
    sent = await _broadcasts(shop)
    assert [(b.kind, b.region, b.requires_ack) for b in sent] == [("price", None, True)] * 2
    assert sent[0].params["sku"] == "PX-1" and sent[0].params["floor"] == 185000


async def test_a_category_floor_and_its_history(shop: Shop) -> None:
    await shop.catalog()
    path = "/v1/price-rules/category/phones"
    status, answer = await shop.api.call("PUT", path, {"floor": "1500.00"})
    assert status == 422 and answer["error"]["fields"][0]["field"] == "currency"
    status, view = await shop.api.call("PUT", path, {"floor": "1500.00", "currency": "CNY"})
    assert status == 201 and view["scope"] == "category"
    _, view = await shop.api.call("GET", path)
    assert [v["floor"] for v in view["versions"]] == ["1500.00"]
    status, _ = await shop.api.call(
        "PUT", "/v1/price-rules/category/toys", {"floor": "1", "currency": "CNY"}
    )
    assert status == 404
    _, sku = await shop.api.call("GET", "/v1/price-rules/PX-1")
    assert (sku["floor_in_force"], sku["source"]) == ("1500.00", "category")
    [entry] = await shop.audit("price_rule.set")
    assert entry.target == "category:phones"


async def test_bad_floors_name_each_field_and_change_nothing(shop: Shop) -> None:
    await shop.catalog()
    cases = [
        ({"floor": "12.345"}, "floor"),
        ({"floor": "-1"}, "floor"),
        ({"floor": "10", "currency": "USD"}, "currency"),
        ({"floor": "10", "currency": "XXX"}, "currency"),
        ({"floor": "10", "effective_at": "yesterday"}, "effective_at"),
        ({"floor": "10", "effective_at": "2020-01-01T00:00:00Z"}, "effective_at"),
        ({"floor": "10", "colour": "red"}, "colour"),
        ({}, "floor"),
    ]
    for body, field in cases:
        status, answer = await shop.api.call("PUT", "/v1/price-rules/PX-1", body)
        assert status == 422, (body, answer)
        assert field in {f["field"] for f in answer["error"]["fields"]}, (body, answer)
    assert (await shop.api.call("PUT", "/v1/price-rules/NOPE", {"floor": "1"}))[0] == 404
    assert (await shop.api.call("GET", "/v1/price-rules/NOPE"))[0] == 404
    assert (await shop.api.call("PUT", "/v1/price-rules/a b", {"floor": "1"}))[0] == 422
    status, _ = await shop.api.call("PUT", "/v1/price-rules/PX-1", data=b"{")
    assert status == 400
    assert await shop.rules() == [] and await shop.audit("price_rule.set") == []
    assert await _broadcasts(shop) == []


async def test_only_the_api_token_may_change_rules(shop: Shop) -> None:
    await shop.catalog()
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            for method, path, body in (
                ("PUT", "/v1/price-rules/PX-1", {"floor": "1.00"}),
                ("PUT", "/v1/price-rules/category/phones", {"floor": "1.00", "currency": "CNY"}),
                ("POST", "/v1/promotions", {"name": "x"}),
                ("GET", "/v1/promotions", None),
            ):
                async with http.request(
                    method, shop.api.url + path, json=body, headers=headers
                ) as answer:
                    assert answer.status == 401
    assert await shop.rules() == [] and await shop.promotions() == []


async def test_a_promotion_is_created_listed_audited_and_announced_per_region(shop: Shop) -> None:
    await shop.catalog()
    start = shop.clock.now() + timedelta(hours=2)
    view = await shop.promotion(
        name="Golden Week", starts_at="2026-01-01T10:00", ends_at="2026-01-08T10:00",
        categories=["phones"], skus=[], regions=["sichuan", "yunnan"], funded_by="shared",
        unit_cap=100, percent_off="12.5",
    )  # fmt: skip
    assert view["id"].startswith("pr_")
    assert (view["state"], view["discount"], view["units_sold"]) == ("scheduled", "12.5%", 0)
    assert view["starts_at"] == "2026-01-01T02:00:00+00:00" == start.isoformat()
    assert (await shop.api.call("GET", f"/v1/promotions/{view['id']}"))[1] == view
    assert (await shop.api.call("GET", "/v1/promotions/pr_none"))[0] == 404

    shop.clock.advance(minutes=1)
    fixed = await shop.promotion(name="¥20 off", percent_off=None, amount_off="20",
                                 currency="CNY")  # fmt: skip
    assert fixed["discount"] == "¥20.00" and fixed["state"] == "live"
    _, listed = await shop.api.call("GET", "/v1/promotions")
    assert [p["id"] for p in listed["promotions"]] == [fixed["id"], view["id"]]
    _, live = await shop.api.call("GET", "/v1/promotions?state=live")
    assert [p["id"] for p in live["promotions"]] == [fixed["id"]]
    _, beijing = await shop.api.call("GET", "/v1/promotions?region=Beijing")
    assert [p["id"] for p in beijing["promotions"]] == [fixed["id"]]
    assert (await shop.api.call("GET", "/v1/promotions?state=soon"))[0] == 422

    [created, _] = await shop.audit("promotion.create")
    assert (created.actor, created.role, created.target) == (ADMIN_ACTOR, "hq", view["id"])
    assert created.detail["regions"] == ["sichuan", "yunnan"]
    sent = await _broadcasts(shop)
    assert sorted((b.kind, b.region or "") for b in sent) == [
        ("promotion", ""), ("promotion", "sichuan"), ("promotion", "yunnan"),
    ]  # fmt: skip
    regional = next(b for b in sent if b.region == "sichuan")
    assert regional.params["discount"] == "12.5%" and regional.params["categories"] == ["phones"]

    status, ended = await shop.api.call("POST", f"/v1/promotions/{fixed['id']}/end")
    assert status == 200 and ended["ended_at"] == shop.clock.now().isoformat()
    [entry] = await shop.audit("promotion.end")
    assert entry.target == fixed["id"]
    ended_notices = [b for b in await _broadcasts(shop) if b.kind == "promotion_end"]
    assert [b.params for b in ended_notices] == [
        {"promotion_id": fixed["id"], "name": fixed["name"]}
    ]


async def test_bad_promotions_name_each_field_and_change_nothing(shop: Shop) -> None:
    await shop.catalog()
    now = shop.clock.now()
    body = {
        "name": " ", "starts_at": "soon", "ends_at": now.isoformat(), "skus": ["a b"],
        "percent_off": "101", "funded_by": "shop", "unit_cap": 0, "extra": 1,
    }  # fmt: skip
    status, answer = await shop.api.call("POST", "/v1/promotions", body)
    assert status == 422
    assert {f["field"] for f in answer["error"]["fields"]} >= {
        "name", "starts_at", "skus", "percent_off", "funded_by", "unit_cap", "extra",
    }  # fmt: skip
    cases: list[tuple[dict[str, Any], str]] = [
        ({"percent_off": "10", "amount_off": "1", "currency": "CNY"}, "percent_off"),
        ({"percent_off": None}, "percent_off"),
        ({"amount_off": "5", "percent_off": None}, "amount_off"),
        ({"skus": []}, "skus"),
        ({"skus": ["NOPE"]}, "skus[0]"),
        ({"categories": ["toys"]}, "categories[0]"),
        ({"percent_off": None, "amount_off": "5", "currency": "USD"}, "skus[0]"),
        ({"ends_at": (now - timedelta(hours=1)).isoformat()}, "ends_at"),
        ({"starts_at": (now - timedelta(days=3)).isoformat(),
          "ends_at": (now - timedelta(days=2)).isoformat()}, "ends_at"),
    ]  # fmt: skip
    for fields, field in cases:
        status, answer = await shop.api.call(
            "POST", "/v1/promotions",
            {"name": "x", "starts_at": now.isoformat(),
             "ends_at": (now + timedelta(days=1)).isoformat(), "skus": ["PX-1"],
             "percent_off": "10", "funded_by": "hq"} | fields,
        )  # fmt: skip
        assert status == 422, (fields, answer)
        assert field in {f["field"] for f in answer["error"]["fields"]}, (fields, answer)
    assert await shop.promotions() == [] and await shop.audit("promotion.create") == []
    assert await _broadcasts(shop) == []


async def test_the_rules_are_in_the_openapi_document(shop: Shop) -> None:
    _, document = await shop.api.call("GET", "/v1/openapi.json")
    for path in ("/v1/price-rules/{sku}", "/v1/price-rules/category/{category}",
                 "/v1/promotions", "/v1/promotions/{promotion_id}",
                 "/v1/promotions/{promotion_id}/end"):  # fmt: skip
        assert path in document["paths"]
    assert "PromotionBody" in document["components"]["schemas"]


async def test_times_without_an_offset_are_read_in_the_configured_hq_time_zone(
    shop: Shop,
) -> None:
    await shop.catalog()
    shop.runtime.settings = shop.runtime.settings.model_copy(update={"hq_timezone": "Europe/Paris"})
    view = await shop.promotion(starts_at="2026-01-01T09:00", ends_at="2026-01-02T09:00")
    assert view["starts_at"] == "2026-01-01T08:00:00+00:00"  # Paris is UTC+1 in winter
