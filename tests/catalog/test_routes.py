"""Products and dealers over HTTP: replace whole, validate every field, change nothing on error."""

from __future__ import annotations

from redis.asyncio import Redis

from services.catalog.geo import reach, rebuild
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
    found = await reach(redis, 30.66, 104.07, 50, 10)
    assert [dealer for dealer, _ in found.stores] == ["cd-1"]
    assert found.stores[0][1] < 1
    assert (found.beyond, found.warehouses) == (0, [])
    await redis.delete("baton:dealers:geo")
    assert await rebuild(runtime.db, redis) == 1
    assert [dealer for dealer, _ in (await reach(redis, 30.66, 104.07, 50, 10)).stores] == ["cd-1"]


async def test_routing_reads_reach_radius_and_warehouses_in_one_call(
    api: ApiClient, redis: Redis
) -> None:
    small = CHENGDU | {"service_radius_km": 2, "referral_code": "CD-002", "name": "Small"}
    far = CHENGDU | {"lat": 31.5, "referral_code": "CD-003", "name": "Far"}  # ~94 km north
    warehouse = CHENGDU | {"warehouse": True, "referral_code": None, "name": "HQ", "lat": 39.9}
    for dealer_id, body in (("cd-1", CHENGDU), ("cd-2", small), ("cd-3", far), ("wh", warehouse)):
        assert (await api.call("PUT", f"/v1/dealers/{dealer_id}", body))[0] == 201
    # 10 km from the stores: cd-1 (30 km) reaches the point, cd-2 (2 km) is near but not
    # reaching; cd-3 is further than the largest radius, so it is not searched at all.
    found = await reach(redis, 30.747, 104.066, 500, 10)
    assert [dealer for dealer, _ in found.stores] == ["cd-1"]
    assert 9 < found.stores[0][1] < 11
    assert found.beyond == 1
    assert found.warehouses == ["wh"]
    # The limit caps the search below the largest radius.
    assert (await reach(redis, 30.747, 104.066, 5, 10)).stores == []


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
