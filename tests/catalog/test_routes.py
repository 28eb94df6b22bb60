"""Products and dealers over HTTP: replace whole, validate every field, change nothing on error."""

from __future__ import annotations

from redis.asyncio import Redis

from services.catalog.geo import nearby, rebuild
from shared.runtime import Runtime
from tests.conftest import ApiClient

PHONE = {
    "name": "Phone X",
    "category": "phones",
    "currency": "CNY",
    "list_price": "1999.00",
    "wholesale_price": "1500.00",
    "floor_price": "1799.00",
    "channel": "both",
}
CHENGDU = {
    "name": "Chengdu Store",
    "region": "sichuan",
    "city": "Chengdu",
    "lat": 30.657,
    "lon": 104.066,
    "service_radius_km": 30,
    "capabilities": ["pickup", "delivery"],
    "capacity": 40,
    "referral_code": "CD-001",
}


async def test_a_product_is_created_then_replaced(api: ApiClient) -> None:
    status, body = await api.call("PUT", "/v1/products/PX-1", PHONE)
    assert status == 201
    assert body["list_price"] == "1999.00"
    status, body = await api.call("PUT", "/v1/products/PX-1", PHONE | {"list_price": "2099"})
    assert status == 200
    assert body["list_price"] == "2099.00"
    status, body = await api.call("GET", "/v1/products/PX-1")
    assert (status, body["sku"], body["floor_price"]) == (200, "PX-1", "1799.00")


async def test_every_bad_product_field_is_named_and_nothing_changes(api: ApiClient) -> None:
    bad = PHONE | {"list_price": "12.345", "floor_price": -1, "channel": "web", "extra": 1}
    status, body = await api.call("PUT", "/v1/products/PX-2", bad)
    assert status == 422
    fields = {f["field"] for f in body["error"]["fields"]}
    assert {"list_price", "floor_price", "channel", "extra"} <= fields
    assert (await api.call("GET", "/v1/products/PX-2"))[0] == 404


async def test_bad_json_and_bad_ids_are_refused(api: ApiClient) -> None:
    status, body = await api.call("PUT", "/v1/products/PX-3", data=b"{nope")
    assert (status, body["error"]["code"]) == (400, "bad_json")
    status, body = await api.call("PUT", "/v1/products/has%20space", PHONE)
    assert status == 422
    assert body["error"]["fields"][0]["field"] == "sku"


async def test_a_dealer_is_indexed_by_position(
    api: ApiClient, redis: Redis, runtime: Runtime
) -> None:
    status, body = await api.call("PUT", "/v1/dealers/cd-1", CHENGDU)
    assert status == 201
    assert body["capabilities"] == ["delivery", "pickup"]
    found = await nearby(redis, 30.66, 104.07, 5)
    assert [dealer for dealer, _ in found] == ["cd-1"]
    assert found[0][1] < 1
    await redis.delete("baton:dealers:geo")
    assert await rebuild(runtime.db, redis) == 1
    assert [dealer for dealer, _ in await nearby(redis, 30.66, 104.07, 5)] == ["cd-1"]


async def test_a_referral_code_belongs_to_one_dealer(api: ApiClient) -> None:
    assert (await api.call("PUT", "/v1/dealers/cd-1", CHENGDU))[0] == 201
    status, body = await api.call("PUT", "/v1/dealers/cd-2", CHENGDU | {"name": "Other"})
    assert status == 409
    assert body["error"]["fields"][0]["field"] == "referral_code"
    assert (await api.call("GET", "/v1/dealers/cd-2"))[0] == 404


async def test_dealer_coordinates_and_capabilities_are_checked(api: ApiClient) -> None:
    bad = CHENGDU | {"lat": 91, "lon": -181, "capabilities": ["teleport"], "capacity": -1}
    status, body = await api.call("PUT", "/v1/dealers/cd-9", bad)
    assert status == 422
    fields = {f["field"] for f in body["error"]["fields"]}
    assert {"lat", "lon", "capacity"} <= fields
    assert any(f.startswith("capabilities") for f in fields)
