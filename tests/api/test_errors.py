"""Every error answer has one shape: ``{"error": {"code", "message", "fields": [...]}}``."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.conftest import TEST_TOKEN, ApiClient

PRODUCT = {
    "name": "Phone X", "category": "phones", "currency": "CNY", "list_price": "1999.00",
    "wholesale_price": "1500.00", "floor_price": "1799.00",
}  # fmt: skip
DEALER = {
    "name": "Tianfu Store", "region": "sichuan", "city": "Chengdu", "lat": 30.66, "lon": 104.07,
    "service_radius_km": 30, "capabilities": ["pickup", "delivery"], "capacity": 40,
}  # fmt: skip
ORDER: dict[str, Any] = {
    "external_id": "E-1", "channel": "mall",
    "customer": {"id": "c-1", "name": "Zhang Wei", "phone": "+86 138 0000 0000"},
    "fulfilment": "pickup",
    "address": {"region": "sichuan", "city": "Chengdu", "line": "1 Tianfu Ave",
                "lat": 30.65, "lon": 104.07},
    "lines": [{"sku": "PX-1", "qty": 1, "unit_price": "1999.00"}],
    "currency": "CNY", "payment": "prepaid",
}  # fmt: skip

# (method, path, body or raw bytes, expected status): one of each kind of refusal.
CASES: list[tuple[str, str, Any, int]] = [
    ("GET", "/v1/nothing-here", None, 404),
    ("DELETE", "/v1/orders", None, 405),
    ("POST", "/v1/orders", b"{", 400),
    ("POST", "/v1/orders", b"[" * 50 + b"]" * 50, 400),
    ("POST", "/v1/orders", b" " * (300 * 1024), 413),
    ("POST", "/v1/orders", {"external_id": ""}, 422),
    ("POST", "/v1/orders", ORDER | {"payment": "cod"}, 409),
    ("GET", "/v1/orders/o_nope", None, 404),
    ("POST", "/v1/orders/o_nope/cancel", {}, 404),
    ("POST", "/v1/orders/o_nope/returns", {"lines": []}, 422),
    ("PUT", "/v1/products/bad%20sku", PRODUCT, 422),
    ("PUT", "/v1/products/PX-2", PRODUCT | {"list_price": "abc"}, 422),
    ("GET", "/v1/products/NOPE", None, 404),
    ("PUT", "/v1/dealers/d2", DEALER | {"referral_code": "TAKEN"}, 409),
    ("GET", "/v1/dealers/nope", None, 404),
    ("PUT", "/v1/dealers/nope/stock/PX-1", {"on_hand": 1}, 404),
    ("PUT", "/v1/dealers/d1/stock/PX-1", {"on_hand": -1}, 422),
    ("GET", "/v1/dealers/nope/earnings", None, 404),
    ("GET", "/v1/dealers/d1/earnings?from=2026-02-01&to=2026-01-01", None, 422),
    ("GET", "/v1/dealers/d1/earnings?from=yesterday", None, 422),
    ("PUT", "/v1/price-rules/PX-1", {"floor": "x"}, 422),
    ("PUT", "/v1/price-rules/NOPE", {"floor": "1.00"}, 404),
    ("PUT", "/v1/price-rules/category/phones", {"floor": "1.00"}, 422),
    ("POST", "/v1/promotions", {"name": "x"}, 422),
    ("GET", "/v1/promotions?state=soon", None, 422),
    ("GET", "/v1/promotions/pr_nope", None, 404),
    ("POST", "/v1/promotions/pr_nope/end", None, 404),
    ("POST", "/v1/broadcasts", {"text": "hi", "region": "mars"}, 422),
    ("GET", "/v1/broadcasts/bc_nope", None, 404),
    ("POST", "/v1/invites", {"dealer_id": "nope", "role": "owner"}, 404),
    ("GET", "/v1/audit?limit=0", None, 422),
]


def check_shape(body: Any) -> None:
    """The one error shape, with nothing more or less."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["fields"], list), body
    for problem in error["fields"]:
        assert set(problem) == {"field", "message"}, body
        assert all(isinstance(v, str) and v for v in problem.values()), body


async def seed(api: ApiClient) -> None:
    """A product, a dealer with a referral code and an order, for the conflicts."""
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    dealer = DEALER | {"referral_code": "TAKEN"}
    assert (await api.call("PUT", "/v1/dealers/d1", dealer))[0] == 201
    assert (await api.call("POST", "/v1/orders", ORDER))[0] == 201


async def answer(api: ApiClient, method: str, path: str, body: Any) -> tuple[int, Any, str]:
    """Status, decoded body and Allow header of one call."""
    headers = {"Authorization": f"Bearer {TEST_TOKEN}"}
    kwargs: dict[str, Any] = {"headers": headers}
    if isinstance(body, bytes):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    async with api.http.request(method, api.url + path, **kwargs) as r:
        assert r.content_type == "application/json", (method, path, r.status)
        return r.status, await r.json(), r.headers.get("Allow", "")


async def test_every_kind_of_error_answer_has_the_one_shape(api: ApiClient) -> None:
    await seed(api)
    for method, path, body, expected in CASES:
        status, decoded, _ = await answer(api, method, path, body)
        assert status == expected, (method, path, decoded)
        check_shape(decoded)
    async with aiohttp.ClientSession() as http, http.get(f"{api.url}/v1/audit") as r:
        assert r.status == 401
        check_shape(await r.json())


async def test_a_field_at_fault_is_named_in_fields(api: ApiClient) -> None:
    await seed(api)
    status, body, _ = await answer(
        api, "PUT", "/v1/dealers/d2", DEALER | {"referral_code": "TAKEN"}
    )
    assert status == 409 and body["error"]["fields"][0]["field"] == "referral_code"
    status, body, _ = await answer(api, "GET", "/v1/audit?limit=0", None)
    assert status == 422 and [f["field"] for f in body["error"]["fields"]] == ["limit"]
