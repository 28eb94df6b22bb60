"""Inputs at the edges of what Python and 64-bit columns hold are 4xx naming the field.

Each of these was a 500 with a traceback: depth, dates and amounts are bounded where the
input is read (``shared.http.body``, ``shared.times``, ``shared.money``, the API's
query parameters), not in each handler.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_errors import DEALER, ORDER, PRODUCT, check_shape
from tests.conftest import TEST_TOKEN, ApiClient


def fields(body: dict[str, Any]) -> list[str]:
    check_shape(body)
    return [f["field"] for f in body["error"]["fields"]]


async def test_json_nested_a_hundred_thousand_deep_is_a_400(api: ApiClient) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    async with api.http.post(
        f"{api.url}/v1/orders", data=deep, headers={"Authorization": f"Bearer {TEST_TOKEN}"}
    ) as r:
        assert r.status == 400
        body = await r.json()
    assert body["error"]["code"] == "bad_json" and fields(body) == ["(body)"]
    nested = ORDER | {"customer": ORDER["customer"] | {"name": [[[[[[[[[["x"]]]]]]]]]]}}
    status, body = await api.call("POST", "/v1/orders", nested)
    assert status == 422 and fields(body) == ["customer.name"]  # deep enough to read, still wrong


@pytest.mark.parametrize(
    ("query", "field"),
    [("to=9999-12-31", "to"), ("from=0001-01-01", "from"), ("from=1999-12-31", "from"),
     ("to=3000-01-01T00:00:00%2B14:00", "to"), ("from=9999-12-31T23:59:59-12:00", "from")],
)  # fmt: skip
async def test_earnings_dates_out_of_range_are_a_422(
    api: ApiClient, query: str, field: str
) -> None:
    assert (await api.call("PUT", "/v1/dealers/d1", DEALER))[0] == 201
    status, body = await api.call("GET", f"/v1/dealers/d1/earnings?{query}")
    assert status == 422, body
    assert fields(body) == [field]


async def test_the_last_days_of_the_range_are_taken(api: ApiClient) -> None:
    assert (await api.call("PUT", "/v1/dealers/d1", DEALER))[0] == 201
    status, body = await api.call("GET", "/v1/dealers/d1/earnings?from=2999-12-01&to=2999-12-31")
    assert status == 200, body


async def test_a_floor_effective_in_year_one_is_a_422(api: ApiClient) -> None:
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    for effective_at in ("0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "10000-01-01"):
        status, body = await api.call(
            "PUT", "/v1/price-rules/PX-1", {"floor": "1800.00", "effective_at": effective_at}
        )
        assert status == 422, body
        assert fields(body) == ["effective_at"]


async def test_a_promotion_ending_at_the_end_of_time_is_a_422(api: ApiClient) -> None:
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    promotion = {
        "name": "Forever", "skus": ["PX-1"], "percent_off": "10", "funded_by": "hq",
        "starts_at": "2026-01-01T00:00:00", "ends_at": "9999-12-31T23:59:59-12:00",
    }  # fmt: skip
    status, body = await api.call("POST", "/v1/promotions", promotion)
    assert status == 422, body
    assert fields(body) == ["ends_at"]
    status, body = await api.call("POST", "/v1/promotions", promotion | {"starts_at": "0001-01-01"})
    assert status == 422 and set(fields(body)) == {"starts_at", "ends_at"}


@pytest.mark.parametrize("limit", ["²", "٣", "１０", "-1", "1e2", "0x10", " 5"])
async def test_a_limit_that_is_not_ascii_digits_is_a_422(api: ApiClient, limit: str) -> None:
    status, body = await api.call("GET", "/v1/audit", params={"limit": limit})
    assert status == 422, body
    assert fields(body) == ["limit"]


async def test_an_order_whose_total_overflows_64_bits_is_a_422_and_stores_nothing(
    api: ApiClient,
) -> None:
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    line = {"sku": "PX-1", "qty": 100_000, "unit_price": "99999999999999.99"}
    status, body = await api.call("POST", "/v1/orders", ORDER | {"lines": [line]})
    assert status == 422, body
    assert fields(body) == ["lines[0].unit_price"]  # one unit is already over the bound

    line = {"sku": "PX-1", "qty": 100_000, "unit_price": "10000000000.00"}  # the most a unit may be
    status, body = await api.call("POST", "/v1/orders", ORDER | {"lines": [line]})
    assert status == 422, body
    assert fields(body) == ["lines"]
    assert "total" in body["error"]["fields"][0]["message"]
    assert (await api.call("GET", "/v1/audit"))[0] == 200
    status, again = await api.call("POST", "/v1/orders", ORDER)
    assert status == 201, again  # the same external id: nothing was stored before


async def test_a_catalog_price_over_the_money_bound_is_a_422(api: ApiClient) -> None:
    status, body = await api.call(
        "PUT", "/v1/products/PX-1", PRODUCT | {"list_price": "99999999999999.00"}
    )
    assert status == 422, body
    assert fields(body) == ["list_price"]
