"""An order's pricing says plainly what the customer paid, the floor and promotion in force,
and which of them the price used."""

from __future__ import annotations

from typing import Any

from tests.pricing.conftest import Shop


async def pricing_of(shop: Shop, external_id: str, price: str, **extra: Any) -> dict[str, Any]:
    status, answer = await shop.place(external_id, price, **extra)
    assert status == 201, answer
    status, view = await shop.api.call("GET", f"/v1/orders/{answer['id']}")
    assert status == 200
    [line] = view["pricing"]
    return dict(line)


async def test_paying_the_list_price_uses_no_promotion_and_says_so(shop: Shop) -> None:
    await shop.catalog()
    promotion = await shop.promotion(percent_off="10")
    line = await pricing_of(shop, "L-1", "1999.00")
    assert (line["paid"], line["list_price"], line["off_list_price"]) == (
        "1999.00",
        "1999.00",
        "0.00",
    )
    assert line["floor"] == {"price": "1799.00", "source": "product", "rule_id": None}
    assert line["promotion_in_force"] == {"price": "1799.10", "promotion_ids": [promotion["id"]]}
    assert line["applied"] is None and line["basis"] == "list_price"
    assert "no promotion used" in line["explanation"]
    assert "effective_price" not in line and "best_promotion_ids" not in line


async def test_a_price_that_used_the_promotion_names_it(shop: Shop) -> None:
    await shop.catalog()
    promotion = await shop.promotion(percent_off="10", funded_by="dealer")
    line = await pricing_of(shop, "L-2", "1800.00")
    assert (line["paid"], line["off_list_price"], line["basis"]) == (
        "1800.00",
        "199.00",
        "promotion",
    )
    assert line["applied"] == {
        "promotion_id": promotion["id"], "funded_by": "dealer",
        "promotions": [{"id": promotion["id"], "discount": "199.90", "funded_by": "dealer"}],
    }  # fmt: skip
    assert promotion["id"] in line["explanation"] and "199.00 off" in line["explanation"]


async def test_a_discount_with_no_promotion_in_force_is_a_price_above_the_floor(shop: Shop) -> None:
    await shop.catalog()
    await shop.promotion(regions=["beijing"])  # not where this customer is
    line = await pricing_of(shop, "L-3", "1900.00")
    assert line["promotion_in_force"] is None and line["applied"] is None
    assert line["basis"] == "below_list_price"
    assert "1799.00" in line["explanation"]
