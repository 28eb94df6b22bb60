"""Previews of floors and promotions over HTTP: what the change would do, changing nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from services.broadcasts.models import Broadcast
from services.broadcasts.render import body
from shared.audit import entries
from tests.broadcasts.support import network
from tests.pricing.conftest import Shop

SKU_PREVIEW = "/v1/price-rules/preview/PX-1"
CATEGORY_PREVIEW = "/v1/price-rules/preview/category/phones"


async def _chats(shop: Shop) -> None:
    """Three store chats in Sichuan (English and Chinese), one in Yunnan."""
    await network(shop.runtime.db, shop.clock, [101, 102, 103])
    await network(shop.runtime.db, shop.clock, [104], region="Yunnan", prefix="y")


async def _nothing_new(shop: Shop, audited: int) -> None:
    """No rule, promotion or broadcast, and no audit entry beyond the ``audited`` before."""
    assert await shop.rules() == [] and await shop.promotions() == []
    async with shop.runtime.db.read() as session:
        assert (await session.exec(select(Broadcast))).all() == []
        assert len(await entries(session)) == audited


async def _audited(shop: Shop) -> int:
    async with shop.runtime.db.read() as session:
        return len(await entries(session))


async def test_a_sku_floor_preview_answers_what_chat_shows_and_changes_nothing(
    shop: Shop,
) -> None:
    await shop.catalog()
    await _chats(shop)
    before = await _audited(shop)
    status, view = await shop.api.call("POST", SKU_PREVIEW, {"floor": "1899.00"})
    assert status == 200, view
    assert {k: view[k] for k in ("scope", "key", "currency", "floor", "floor_in_force")} == {
        "scope": "sku", "key": "PX-1", "currency": "CNY", "floor": "1899.00",
        "floor_in_force": "1799.00",
    }  # fmt: skip
    assert (view["source"], view["list_price"], view["unchanged"]) == ("product", "1999.00", False)
    assert view["effective_at"] == shop.clock.now().isoformat()
    assert view["warnings"] == []
    assert view["audience"] == 4  # every store's chat: a floor goes to every region
    params = {
        "sku": "PX-1", "name": "Phone X", "floor": 189900, "currency": "CNY",
        "effective_at": shop.clock.now().isoformat(),
    }  # fmt: skip
    assert view["messages"] == {lang: body("price", params, lang) for lang in ("en", "zh")}
    assert "1899.00" in view["messages"]["en"] and "Phone X" in view["messages"]["zh"]
    await _nothing_new(shop, before)

    # Applied, the same floor previews as unchanged: nobody would be told again.
    assert (await shop.api.call("PUT", "/v1/price-rules/PX-1", {"floor": "1899.00"}))[0] == 201
    _, again = await shop.api.call("POST", SKU_PREVIEW, {"floor": "1899.00"})
    assert (again["unchanged"], again["audience"], again["source"]) == (True, 0, "sku")
    assert again["floor_in_force"] == "1899.00"
    _, later = await shop.api.call(
        "POST", SKU_PREVIEW,
        {"floor": "1899.00", "effective_at": (shop.clock.now() + timedelta(days=1)).isoformat()},
    )  # fmt: skip
    assert (later["unchanged"], later["audience"]) == (False, 4)


async def test_risky_floors_are_previewed_with_the_warnings_chat_gives(shop: Shop) -> None:
    await shop.catalog()
    await _chats(shop)
    _, free = await shop.api.call("POST", SKU_PREVIEW, {"floor": "0"})
    [warning] = free["warnings"]
    assert (warning["code"], warning["sku"]) == ("free", "PX-1")
    assert warning["messages"]["en"].startswith("⚠️ A floor of 0.00 CNY removes the floor")
    assert "Phone X" in warning["messages"]["zh"]
    _, high = await shop.api.call("POST", SKU_PREVIEW, {"floor": "2500"})
    [warning] = high["warnings"]
    assert warning["code"] == "above_list"
    assert "above the list price of Phone X (1999.00 CNY)" in warning["messages"]["en"]

    _, category = await shop.api.call("POST", CATEGORY_PREVIEW, {"floor": "0", "currency": "CNY"})
    [warning] = category["warnings"]
    assert (warning["code"], warning["sku"]) == ("free", None)
    assert "all products in category phones" in warning["messages"]["en"]
    _, category = await shop.api.call(
        "POST", CATEGORY_PREVIEW, {"floor": "2000.00", "currency": "CNY"}
    )
    assert [(w["code"], w["sku"]) for w in category["warnings"]] == [("above_list", "PX-1")]
    _, fine = await shop.api.call("POST", CATEGORY_PREVIEW, {"floor": "1500", "currency": "CNY"})
    assert fine["warnings"] == [] and fine["scope"] == "category"
    assert fine["floor_in_force"] is None and fine["audience"] == 4
    assert "all products in category phones" in fine["messages"]["en"]
    await _nothing_new(shop, await _audited(shop))


async def _same_answer(shop: Shop, method: str, path: str, preview: str, sent: Any) -> int:
    """Send ``sent`` to the change and to its preview: the same error, or fail."""
    status, answer = await shop.api.call(method, path, sent)
    shown_status, shown = await shop.api.call("POST", preview, sent)
    assert (shown_status, shown) == (status, answer), (sent, shown, answer)
    return int(status)


async def test_a_bad_floor_gets_the_same_answer_from_its_preview(shop: Shop) -> None:
    await shop.catalog()
    before = await _audited(shop)
    past = (shop.clock.now() - timedelta(hours=1)).isoformat()
    for sent in (
        {"floor": "12.345"}, {"floor": "-1"}, {"floor": "10", "currency": "USD"},
        {"floor": "10", "currency": "XXX"}, {"floor": "10", "effective_at": "yesterday"},
        {"floor": "10", "effective_at": past}, {"floor": "10", "colour": "red"}, {},
    ):  # fmt: skip
        status = await _same_answer(shop, "PUT", "/v1/price-rules/PX-1", SKU_PREVIEW, sent)
        assert status == 422, sent
    for sku, status in (("NOPE", 404), ("a b", 422)):
        assert status == await _same_answer(
            shop, "PUT", f"/v1/price-rules/{sku}", f"/v1/price-rules/preview/{sku}", {"floor": "1"}
        )
    for category, sent, status in (
        ("phones", {"floor": "1"}, 422),
        ("phones", {"floor": "1.234", "currency": "CNY"}, 422),
        ("phones", {"floor": "1", "currency": "CNY", "effective_at": past}, 422),
        ("toys", {"floor": "1", "currency": "CNY"}, 404),
    ):
        path = f"/v1/price-rules/category/{category}"
        preview = f"/v1/price-rules/preview/category/{category}"
        assert status == await _same_answer(shop, "PUT", path, preview, sent), sent
    status, _ = await shop.api.call("POST", SKU_PREVIEW, data=b"{")
    assert status == 400
    await _nothing_new(shop, before)


async def test_a_promotion_preview_counts_each_regions_chats_and_creates_nothing(
    shop: Shop,
) -> None:
    await shop.catalog()
    await _chats(shop)
    before = await _audited(shop)
    now = shop.clock.now()
    sent = {
        "name": "Golden Week", "starts_at": "2026-01-01T10:00", "ends_at": "2026-01-08T10:00",
        "categories": ["phones"], "regions": ["四川", "yunnan"], "percent_off": "12.5",
        "funded_by": "shared", "unit_cap": 100,
    }  # fmt: skip
    status, view = await shop.api.call("POST", "/v1/promotions/preview", sent)
    assert status == 200, view
    assert view["broadcasts"] == [
        {"region": "四川", "audience": 3}, {"region": "yunnan", "audience": 1},
    ]  # fmt: skip
    assert view["audience"] == 4
    promotion = view["promotion"]
    assert (promotion["state"], promotion["discount"], promotion["starts_at"]) == (
        "scheduled", "12.5%", (now + timedelta(hours=2)).isoformat(),
    )  # fmt: skip
    assert "id" not in promotion and promotion["regions"] == ["四川", "yunnan"]
    assert "Golden Week" in view["messages"]["en"] and "12.5%" in view["messages"]["zh"]
    await _nothing_new(shop, before)

    everywhere = await shop.api.call("POST", "/v1/promotions/preview", sent | {"regions": []})
    assert everywhere[1]["broadcasts"] == [{"region": None, "audience": 4}]
    created = await shop.promotion(**sent)  # the real thing reaches the chats previewed
    async with shop.runtime.db.read() as session:
        made = (await session.exec(select(Broadcast))).all()
    assert sorted(b.audience for b in made) == [1, 3] and created["name"] == "Golden Week"


async def test_a_bad_promotion_gets_the_same_answer_from_its_preview(shop: Shop) -> None:
    await shop.catalog()
    before = await _audited(shop)
    now = shop.clock.now()
    good = {
        "name": "x", "starts_at": now.isoformat(), "ends_at": (now + timedelta(days=1)).isoformat(),
        "skus": ["PX-1"], "percent_off": "10", "funded_by": "hq",
    }  # fmt: skip
    fields: dict[str, Any]
    for fields in (
        {"name": " ", "starts_at": "soon", "skus": ["a b"], "percent_off": "101",
         "funded_by": "shop", "unit_cap": 0, "extra": 1},
        {"percent_off": "10", "amount_off": "1", "currency": "CNY"},
        {"percent_off": None},
        {"skus": []},
        {"skus": ["NOPE"]},
        {"categories": ["toys"]},
        {"percent_off": None, "amount_off": "5", "currency": "USD"},
        {"ends_at": (now - timedelta(hours=1)).isoformat()},
    ):  # fmt: skip
        status = await _same_answer(
            shop, "POST", "/v1/promotions", "/v1/promotions/preview", good | fields
        )
        assert status == 422, fields
    await _nothing_new(shop, before)
