"""The order API against floors and promotions: boundaries, windows, versions, regions, caps."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from services.orders import intake
from services.pricing.queries import pricing_inputs
from services.pricing.rules import FloorRule, Terms, recorded_units
from tests.pricing.conftest import Shop


def _floor_error(answer: dict[str, object]) -> str:
    fields = {f["field"]: f["message"] for f in answer["error"]["fields"]}
    return str(fields["lines[0].unit_price"])


async def test_exactly_at_the_floor_is_taken_and_one_minor_unit_below_is_not(shop: Shop) -> None:
    await shop.catalog()
    status, answer = await shop.place("F-1", "1798.99")
    assert status == 422 and "below the floor price 1799.00" in _floor_error(answer)
    status, answer = await shop.place("F-2", "1799.00")
    assert status == 201, answer
    line = await shop.sale_line(answer["id"])
    assert (line["unit_price"], line["promotion_id"], line["funded_by"]) == (179900, None, None)


async def test_a_new_floor_version_takes_effect_at_its_time(shop: Shop) -> None:
    await shop.catalog()
    later = (shop.clock.now() + timedelta(hours=1)).isoformat()
    status, view = await shop.api.call(
        "PUT", "/v1/price-rules/PX-1", {"floor": "1899.00", "effective_at": later}
    )
    assert status == 201, view
    assert (view["floor_in_force"], view["source"]) == ("1799.00", "product")
    assert (await shop.place("V-1", "1799.00"))[0] == 201  # the old floor until then

    shop.clock.advance(hours=1)
    status, answer = await shop.place("V-2", "1898.99")
    assert status == 422 and "1899.00" in _floor_error(answer)
    assert (await shop.place("V-3", "1899.00"))[0] == 201
    _, view = await shop.api.call("GET", "/v1/price-rules/PX-1")
    assert (view["floor_in_force"], view["source"]) == ("1899.00", "sku")


async def test_a_category_floor_applies_until_the_skus_own_rule(shop: Shop) -> None:
    await shop.catalog()
    status, _ = await shop.api.call(
        "PUT", "/v1/price-rules/category/phones", {"floor": "1850.00", "currency": "CNY"}
    )
    assert status == 201
    assert (await shop.place("C-1", "1849.99"))[0] == 422
    assert (await shop.api.call("PUT", "/v1/price-rules/PX-1", {"floor": "1700.00"}))[0] == 201
    assert (await shop.place("C-2", "1700.00"))[0] == 201  # the SKU's rule is more specific


async def test_a_promotion_covers_a_price_below_the_floor_only_in_its_window(shop: Shop) -> None:
    await shop.catalog()
    start = shop.clock.now() + timedelta(hours=1)
    promotion = await shop.promotion(
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat(),
        regions=["Sichuan"], funded_by="dealer",
    )  # fmt: skip
    promo_price = "1699.15"  # 1999.00 less 15 % (299.85)
    status, answer = await shop.place("P-1", promo_price)
    assert status == 422 and "below the floor price 1799.00" in _floor_error(answer)

    shop.clock.advance(hours=1)  # the window opens
    status, answer = await shop.place("P-2", "1699.14")
    assert status == 422
    assert "below the floor price 1799.00 and the promotion price 1699.15" in _floor_error(answer)
    status, answer = await shop.place("P-3", promo_price)
    assert status == 201, answer
    line = await shop.sale_line(answer["id"])
    assert (line["unit_price"], line["list_price"]) == (169915, 199900)
    assert (line["promotion_id"], line["funded_by"]) == (promotion["id"], "dealer")
    _, view = await shop.api.call("GET", f"/v1/orders/{answer['id']}")
    [pricing] = view["pricing"]
    assert pricing["promotion_in_force"]["price"] == promo_price
    assert pricing["floor"]["price"] == "1799.00"
    assert pricing["applied"]["promotions"] == [
        {"id": promotion["id"], "discount": "299.85", "funded_by": "dealer"}
    ]

    beijing = {"region": "beijing", "city": "Beijing", "line": "1 Chang'an Ave", "lat": 39.9,
               "lon": 116.4}  # fmt: skip
    status, _ = await shop.place("P-4", promo_price, address=beijing)
    assert status == 422  # outside the promotion's regions

    shop.clock.advance(hours=2)  # the window closes (its end is excluded)
    assert (await shop.place("P-5", promo_price))[0] == 422
    _, view = await shop.api.call("GET", f"/v1/promotions/{promotion['id']}")
    assert (view["state"], view["units_sold"]) == ("ended", 1)


async def test_a_promotions_region_matches_the_order_in_either_language(shop: Shop) -> None:
    await shop.catalog()
    promotion = await shop.promotion(regions=["四川省"])  # the order's region is "sichuan"
    status, answer = await shop.place("R-1", "1699.15")
    assert status == 201, answer
    assert (await shop.sale_line(answer["id"]))["promotion_id"] == promotion["id"]
    status, listed = await shop.api.call("GET", "/v1/promotions?region=Sichuan")
    assert status == 200 and [p["id"] for p in listed["promotions"]] == [promotion["id"]]


async def test_the_promotion_is_recorded_only_when_the_price_used_it(shop: Shop) -> None:
    await shop.catalog()
    promotion = await shop.promotion()
    _, answer = await shop.place("R-1", "1999.00")  # the list price: no promotion
    assert (await shop.sale_line(answer["id"]))["promotion_id"] is None
    _, answer = await shop.place("R-2", "1900.00")  # between the promotion's price and list
    assert (await shop.sale_line(answer["id"]))["promotion_id"] == promotion["id"]
    _, answer = await shop.place("R-3", "1800.00")  # above the floor, above promo 1699.15
    assert (await shop.sale_line(answer["id"]))["promotion_id"] == promotion["id"]
    _, view = await shop.api.call("GET", f"/v1/promotions/{promotion['id']}")
    assert view["units_sold"] == 2


async def test_ending_a_promotion_early_closes_its_window(shop: Shop) -> None:
    await shop.catalog()
    promotion = await shop.promotion()
    assert (await shop.place("E-1", "1699.15"))[0] == 201
    status, view = await shop.api.call("POST", f"/v1/promotions/{promotion['id']}/end")
    assert (status, view["state"]) == (200, "ended")
    assert (await shop.place("E-2", "1699.15"))[0] == 422
    status, again = await shop.api.call("POST", f"/v1/promotions/{promotion['id']}/end")
    assert (status, again["error"]["code"]) == (409, "conflict")
    status, _ = await shop.api.call("POST", "/v1/promotions/pr_nope/end")
    assert status == 404


async def test_the_cap_holds_when_orders_race_for_the_last_units(shop: Shop) -> None:
    await shop.catalog()
    promotion = await shop.promotion(unit_cap=3)
    assert (await shop.place("K-0", "1699.15", qty=2))[0] == 201  # one unit left
    results = await asyncio.gather(
        *(shop.place(f"K-{i}", "1699.15") for i in range(1, 5))
    )  # fmt: skip
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 422, 422, 422], results
    _, view = await shop.api.call("GET", f"/v1/promotions/{promotion['id']}")
    assert view["units_sold"] == 3
    # A line wanting more units than are left gets no promotional price at all.
    status, answer = await shop.place("K-9", "1800.00", qty=2)
    assert status == 201 and (await shop.sale_line(answer["id"]))["promotion_id"] is None


async def test_overlapping_promotions_give_the_best_price_and_stack_only_if_allowed(
    shop: Shop,
) -> None:
    await shop.catalog()
    await shop.promotion(name="A", percent_off="10")
    best = await shop.promotion(name="B", percent_off="15", funded_by="dealer")
    assert (await shop.place("O-1", "1599.20"))[0] == 422  # 25 % would need stacking
    status, answer = await shop.place("O-2", "1699.15")
    assert status == 201 and (await shop.sale_line(answer["id"]))["promotion_id"] == best["id"]

    await shop.promotion(name="C", percent_off="5", stackable=True)
    stacked = await shop.promotion(
        name="D", percent_off=None, amount_off="300.00", currency="CNY", stackable=True,
        funded_by="dealer",
    )  # fmt: skip
    # C and D stack: 1999.00 - 99.95 - 300.00 = 1599.05, better than B alone.
    assert (await shop.place("O-3", "1599.04"))[0] == 422
    status, answer = await shop.place("O-4", "1599.05")
    assert status == 201
    line = await shop.sale_line(answer["id"])
    assert (line["promotion_id"], line["funded_by"]) == (stacked["id"], "shared")


async def test_an_order_priced_before_the_last_unit_went_elsewhere_is_priced_again(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    await shop.catalog()
    await shop.promotion(unit_cap=1)
    assert (await shop.place("S-1", "1699.15"))[0] == 201  # the last unit is gone
    calls: list[int] = []

    async def stale_first(*args: Any) -> tuple[list[FloorRule], list[Terms]]:
        rules, promotions = await pricing_inputs(*args)
        calls.append(len(calls))
        if len(calls) == 1:  # as read just before the other order committed
            promotions = [dataclasses.replace(p, units_sold=0) for p in promotions]
        return rules, promotions

    monkeypatch.setattr(intake, "pricing_inputs", stale_first)
    status, answer = await shop.place("S-2", "1699.15")
    assert status == 422 and "below the floor price" in _floor_error(answer)
    assert len(calls) == 2  # the unit count refused it, so the order was priced again
    status, answer = await shop.place("S-3", "1799.00")
    assert status == 201 and (await shop.sale_line(answer["id"]))["promotion_id"] is None


async def test_a_cancelled_order_gives_its_promotional_units_back(shop: Shop) -> None:
    await shop.catalog()
    promotion = await shop.promotion(unit_cap=3)
    status, answer = await shop.place("G-1", "1699.15", qty=3)
    assert status == 201
    assert (await shop.place("G-2", "1699.15"))[0] == 422  # the cap is used up
    status, _ = await shop.api.call(
        "POST", f"/v1/orders/{answer['id']}/cancel", {"reason": "customer changed their mind"}
    )
    assert status == 200
    _, view = await shop.api.call("GET", f"/v1/promotions/{promotion['id']}")
    assert view["units_sold"] == 0
    assert (await shop.place("G-3", "1699.15", qty=3))[0] == 201


def test_returned_units_are_counted_back_per_promotion() -> None:
    pricing = [
        {"sku": "A", "qty": 3, "promotions": [{"id": "p1"}, {"id": "p2"}]},
        {"sku": "B", "qty": 2, "promotions": [{"id": "p1"}]},
        {"sku": "C", "qty": 5, "promotions": []},
    ]
    assert recorded_units(pricing) == {"p1": 5, "p2": 3}
    assert recorded_units(pricing, {"A": 1, "C": 5}) == {"p1": 1, "p2": 1}
    assert recorded_units(pricing, {"B": 9}) == {"p1": 2}
