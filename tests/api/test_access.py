"""API keys and scopes: every route against every kind of key, each answer asserted.

The scopes below are written out by hand from the README's table, not read from the
application, so a route that changes its scope fails here until the README changes too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update
from sqlmodel import col

from baton.api import build_api
from services.access.models import ApiKey
from shared.runtime import Runtime
from tests.api.test_errors import DEALER, ORDER, PRODUCT
from tests.conftest import TEST_TOKEN, ApiClient

README = Path(__file__).parents[2] / "README.md"

# (method, path) -> the scope it needs, as the README's scope table says.
SCOPE_OF: dict[tuple[str, str], str] = {
    ("POST", "/v1/orders"): "orders:write",
    ("POST", "/v1/orders/{order_id}/cancel"): "orders:write",
    ("POST", "/v1/orders/{order_id}/returns"): "orders:write",
    ("GET", "/v1/orders"): "orders:read",
    ("GET", "/v1/orders/{order_id}"): "orders:read",
    ("GET", "/v1/offers"): "orders:read",
    ("PUT", "/v1/products/{sku}"): "catalog:write",
    ("PUT", "/v1/dealers/{dealer_id}"): "catalog:write",
    ("GET", "/v1/products/{sku}"): "catalog:read",
    ("GET", "/v1/dealers/{dealer_id}"): "catalog:read",
    ("GET", "/v1/products"): "catalog:read",
    ("GET", "/v1/dealers"): "catalog:read",
    ("PUT", "/v1/dealers/{dealer_id}/stock/{sku}"): "stock:write",
    ("GET", "/v1/dealers/{dealer_id}/stock"): "stock:read",
    ("GET", "/v1/stock"): "stock:read",
    ("GET", "/v1/stats/stock"): "stock:read",
    ("PUT", "/v1/price-rules/{sku}"): "pricing:write",
    ("PUT", "/v1/price-rules/category/{category}"): "pricing:write",
    ("POST", "/v1/promotions"): "pricing:write",
    ("POST", "/v1/promotions/{promotion_id}/end"): "pricing:write",
    ("POST", "/v1/price-rules/preview/{sku}"): "pricing:write",
    ("POST", "/v1/price-rules/preview/category/{category}"): "pricing:write",
    ("POST", "/v1/promotions/preview"): "pricing:write",
    ("GET", "/v1/price-rules/{sku}"): "pricing:read",
    ("GET", "/v1/price-rules/category/{category}"): "pricing:read",
    ("GET", "/v1/promotions"): "pricing:read",
    ("GET", "/v1/promotions/{promotion_id}"): "pricing:read",
    ("POST", "/v1/broadcasts"): "broadcasts:write",
    ("POST", "/v1/broadcasts/preview"): "broadcasts:write",
    ("GET", "/v1/broadcasts"): "broadcasts:read",
    ("GET", "/v1/broadcasts/{broadcast_id}"): "broadcasts:read",
    ("GET", "/v1/broadcasts/{broadcast_id}/recipients"): "broadcasts:read",
    ("POST", "/v1/invites"): "invites:write",
    ("GET", "/v1/invites"): "invites:write",
    ("GET", "/v1/audit"): "audit:read",
    ("GET", "/v1/dealers/{dealer_id}/earnings"): "finance:read",
    ("GET", "/v1/stats/earnings"): "finance:read",
    ("GET", "/v1/payouts"): "finance:read",
    ("GET", "/v1/payouts/{period}"): "finance:read",
    ("GET", "/v1/ledger/checks"): "finance:read",
    ("GET", "/v1/ledger/checks/{check_id}"): "finance:read",
    ("POST", "/v1/ledger/checks"): "finance:read",
    ("GET", "/v1/stats/orders"): "stats:read",
    ("GET", "/v1/stats/offers"): "stats:read",
    ("GET", "/v1/stats/dealers"): "stats:read",
    ("POST", "/v1/keys"): "admin",
    ("GET", "/v1/keys"): "admin",
    ("POST", "/v1/keys/{key_id}/revoke"): "admin",
}
FLOOR = {"floor": "1799.00"}  # set once in the seed: setting it again changes nothing (200)
CATEGORY_FLOOR = {"floor": "1000.00", "currency": "CNY"}
ORDER_ROUTES = {route for route, scope in SCOPE_OF.items() if scope.startswith("orders:")}
# Lists a channel's key may read of another channel too: its own channel's rows, none here.
CHANNEL_LISTS = {("GET", "/v1/orders"), ("GET", "/v1/offers")}
SCOPES = sorted(set(SCOPE_OF.values()) - {"admin"})


@dataclass(frozen=True)
class Key:
    """A kind of caller of the matrix."""

    label: str
    token: str | None
    scopes: frozenset[str] = frozenset()
    channel: str | None = None
    dealer: str | None = None
    valid: bool = True


def holds(scopes: frozenset[str], scope: str) -> bool:
    """The README's rule: admin holds all, X:write holds X:read."""
    if "admin" in scopes or scope in scopes:
        return True
    resource, _, action = scope.partition(":")
    return action == "read" and f"{resource}:write" in scopes


def expected(key: Key, route: tuple[str, str], ok: int) -> int:
    """The answer the README promises ``key`` on ``route`` (``ok``: the route's own)."""
    if not key.valid:
        return 401
    if not holds(key.scopes, SCOPE_OF[route]):
        return 403
    if key.dealer is not None:
        if "{dealer_id}" not in route[1]:
            return 403
        if key.dealer != "d1":  # every probe names dealer d1
            return 404
    if key.channel is not None and route in ORDER_ROUTES and key.channel != ORDER["channel"]:
        if route in CHANNEL_LISTS:
            return ok  # its list: its own channel's orders, none here
        return 403 if route == ("POST", "/v1/orders") else 404
    return ok


async def make_key(api: ApiClient, name: str, scopes: list[str], **binding: Any) -> str:
    status, made = await api.call("POST", "/v1/keys", {"name": name, "scopes": scopes} | binding)
    assert status == 201, made
    return str(made["token"])


@dataclass
class World:
    """What the probes name: an order, a cancelled order, an ended promotion, a broadcast."""

    order_id: str
    cancelled_id: str
    ended_promotion_id: str
    promotion_body: dict[str, Any]
    broadcast_id: str


async def seed(api: ApiClient, runtime: Runtime) -> World:
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    assert (await api.call("PUT", "/v1/dealers/d1", DEALER))[0] == 201
    assert (await api.call("PUT", "/v1/dealers/d2", DEALER | {"city": "Mianyang"}))[0] == 201
    status, order = await api.call("POST", "/v1/orders", ORDER)
    assert status == 201, order
    status, other = await api.call("POST", "/v1/orders", ORDER | {"external_id": "E-2"})
    assert status == 201, other
    assert (await api.call("POST", f"/v1/orders/{other['id']}/cancel", {}))[0] == 200
    assert (await api.call("PUT", "/v1/price-rules/PX-1", FLOOR))[0] == 201
    assert (await api.call("PUT", "/v1/price-rules/category/phones", CATEGORY_FLOOR))[0] == 201
    now = runtime.clock.now()
    promotion = {
        "name": "Spring", "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(), "skus": ["PX-1"],
        "percent_off": "5", "funded_by": "hq",
    }  # fmt: skip
    status, ended = await api.call("POST", "/v1/promotions", promotion)
    assert status == 201, ended
    assert (await api.call("POST", f"/v1/promotions/{ended['id']}/end"))[0] == 200
    status, sent = await api.call("GET", "/v1/broadcasts?limit=1")
    assert status == 200 and sent["broadcasts"], sent  # the floors' and promotion's
    return World(order["id"], other["id"], ended["id"], promotion, sent["broadcasts"][0]["id"])


def probes(world: World, throwaway: str) -> dict[tuple[str, str], tuple[str, Any, int]]:
    """A request for each route, and its answer once the key may make it.

    Each can be sent again and again with the same answer: replacing what is there, a
    refused move (409) or an unknown id (404) where a success would change the world.
    """
    o, c, p, b = world.order_id, world.cancelled_id, world.ended_promotion_id, world.broadcast_id
    return {
        ("POST", "/v1/orders"): ("/v1/orders", ORDER, 200),  # sent again: the same order
        ("POST", "/v1/orders/{order_id}/cancel"): (f"/v1/orders/{c}/cancel", {}, 409),
        ("POST", "/v1/orders/{order_id}/returns"): (
            f"/v1/orders/{c}/returns",
            {"lines": [{"sku": "PX-1", "qty": 1}]},
            409,
        ),
        ("GET", "/v1/orders"): ("/v1/orders?limit=1", None, 200),
        ("GET", "/v1/orders/{order_id}"): (f"/v1/orders/{o}", None, 200),
        ("GET", "/v1/offers"): ("/v1/offers?limit=1", None, 200),
        ("GET", "/v1/products"): ("/v1/products?limit=1", None, 200),
        ("GET", "/v1/dealers"): ("/v1/dealers?limit=1", None, 200),
        ("PUT", "/v1/products/{sku}"): ("/v1/products/PX-1", PRODUCT, 200),
        ("PUT", "/v1/dealers/{dealer_id}"): ("/v1/dealers/d1", DEALER, 200),
        ("GET", "/v1/products/{sku}"): ("/v1/products/PX-1", None, 200),
        ("GET", "/v1/dealers/{dealer_id}"): ("/v1/dealers/d1", None, 200),
        ("PUT", "/v1/dealers/{dealer_id}/stock/{sku}"): (
            "/v1/dealers/d1/stock/PX-1",
            {"on_hand": 5},
            200,
        ),
        ("GET", "/v1/dealers/{dealer_id}/stock"): ("/v1/dealers/d1/stock", None, 200),
        ("GET", "/v1/stock"): ("/v1/stock?limit=1", None, 200),
        ("GET", "/v1/stats/stock"): ("/v1/stats/stock", None, 200),
        ("PUT", "/v1/price-rules/{sku}"): ("/v1/price-rules/PX-1", FLOOR, 200),
        ("PUT", "/v1/price-rules/category/{category}"): (
            "/v1/price-rules/category/phones",
            CATEGORY_FLOOR,
            200,
        ),
        ("POST", "/v1/promotions"): ("/v1/promotions", {"name": "x"}, 422),
        ("POST", "/v1/promotions/{promotion_id}/end"): (f"/v1/promotions/{p}/end", None, 409),
        # Previews change nothing: each answers the same however often it is sent.
        ("POST", "/v1/price-rules/preview/{sku}"): ("/v1/price-rules/preview/PX-1", FLOOR, 200),
        ("POST", "/v1/price-rules/preview/category/{category}"): (
            "/v1/price-rules/preview/category/phones",
            CATEGORY_FLOOR,
            200,
        ),
        ("POST", "/v1/promotions/preview"): ("/v1/promotions/preview", world.promotion_body, 200),
        ("GET", "/v1/price-rules/{sku}"): ("/v1/price-rules/PX-1", None, 200),
        ("GET", "/v1/price-rules/category/{category}"): (
            "/v1/price-rules/category/phones",
            None,
            200,
        ),
        ("GET", "/v1/promotions"): ("/v1/promotions", None, 200),
        ("GET", "/v1/promotions/{promotion_id}"): (f"/v1/promotions/{p}", None, 200),
        ("POST", "/v1/broadcasts"): ("/v1/broadcasts", {"text": "hi"}, 422),  # no chats yet
        ("POST", "/v1/broadcasts/preview"): ("/v1/broadcasts/preview", {"text": "hi"}, 422),
        ("GET", "/v1/broadcasts"): ("/v1/broadcasts?limit=1", None, 200),
        ("GET", "/v1/broadcasts/{broadcast_id}"): ("/v1/broadcasts/bc_nope", None, 404),
        ("GET", "/v1/broadcasts/{broadcast_id}/recipients"): (
            f"/v1/broadcasts/{b}/recipients?limit=1",
            None,
            200,
        ),
        ("POST", "/v1/invites"): ("/v1/invites", {"dealer_id": "d1", "role": "staff"}, 201),
        ("GET", "/v1/invites"): ("/v1/invites?limit=1", None, 200),
        ("GET", "/v1/audit"): ("/v1/audit?limit=1", None, 200),
        ("GET", "/v1/dealers/{dealer_id}/earnings"): ("/v1/dealers/d1/earnings", None, 200),
        ("GET", "/v1/stats/earnings"): ("/v1/stats/earnings?limit=1", None, 200),
        ("GET", "/v1/payouts"): ("/v1/payouts?limit=1", None, 200),
        ("GET", "/v1/payouts/{period}"): ("/v1/payouts/2026-01-01..2026-01-31", None, 404),
        ("GET", "/v1/ledger/checks"): ("/v1/ledger/checks?limit=1", None, 200),
        ("GET", "/v1/ledger/checks/{check_id}"): ("/v1/ledger/checks/1", None, 404),
        # A check would run: an unknown parameter is refused before it starts, once allowed.
        ("POST", "/v1/ledger/checks"): ("/v1/ledger/checks?now=1", None, 422),
        ("GET", "/v1/stats/orders"): ("/v1/stats/orders", None, 200),
        ("GET", "/v1/stats/offers"): ("/v1/stats/offers", None, 200),
        ("GET", "/v1/stats/dealers"): ("/v1/stats/dealers", None, 200),
        ("POST", "/v1/keys"): ("/v1/keys", {"name": "x", "scopes": ["nope"]}, 422),
        ("GET", "/v1/keys"): ("/v1/keys", None, 200),
        ("POST", "/v1/keys/{key_id}/revoke"): (f"/v1/keys/{throwaway}/revoke", None, 200),
    }


async def keys_of_every_kind(api: ApiClient, runtime: Runtime) -> list[Key]:
    keys = [Key("admin token", TEST_TOKEN, frozenset({"admin"}))]
    for scope in SCOPES:
        keys.append(Key(scope, await make_key(api, scope, [scope]), frozenset({scope})))
    keys.append(Key("admin key", await make_key(api, "root", ["admin"]), frozenset({"admin"})))
    shop = frozenset({"orders:write"})
    for channel in ("mall", "jd"):
        token = await make_key(api, f"{channel}-shop", ["shop"], channel=channel)
        keys.append(Key(f"{channel} shop", token, shop, channel=channel))
    store = ["stock:write", "finance:read", "catalog:read"]
    for dealer in ("d1", "d2"):
        token = await make_key(api, f"{dealer}-store", store, dealer_id=dealer)
        keys.append(Key(f"{dealer} store", token, frozenset(store), dealer=dealer))
    revoked = await make_key(api, "revoked", ["admin"])
    assert (await api.call("POST", f"/v1/keys/{revoked[3:15]}/revoke"))[0] == 200
    expired = await make_key(api, "expired", ["admin"])
    async with runtime.db.write() as session:
        past = runtime.clock.now() - timedelta(seconds=1)
        await session.exec(
            update(ApiKey).where(col(ApiKey.id) == expired[3:15]).values(expires_at=past)
        )
    keys += [
        Key("revoked key", revoked, valid=False),
        Key("expired key", expired, valid=False),
        Key("no key", None, valid=False),
        Key("not a key", "bk_000000000000_guess", valid=False),
        Key("another token", "x" * 40, valid=False),
    ]
    return keys


async def send(api: ApiClient, token: str | None, method: str, path: str, body: Any) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with api.http.request(method, api.url + path, json=body, headers=headers) as r:
        return r.status


async def test_every_route_answers_every_kind_of_key_as_the_readme_says(
    api: ApiClient, runtime: Runtime
) -> None:
    world = await seed(api, runtime)
    keys = await keys_of_every_kind(api, runtime)
    throwaway = (await make_key(api, "throwaway", ["orders:read"]))[3:15]
    table = probes(world, throwaway)
    assert set(table) == set(SCOPE_OF)
    wrong = []
    for route, (path, body, ok) in table.items():
        for key in keys:
            want = expected(key, route, ok)
            got = await send(api, key.token, route[0], path, body)
            if got != want:
                wrong.append(f"{key.label:>16} {route[0]} {path}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)
    assert len(keys) * len(table) > 500  # the whole matrix ran


def readme_scope_table() -> dict[tuple[str, str], str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### API keys and scopes", 1)[1].split("\n### ", 1)[0]
    found = {}
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) > 3 and re.fullmatch(r"\s*`[a-z]+(:[a-z]+)?`\s*", cells[1]):
            scope = cells[1].strip().strip("`")
            for method, path in re.findall(r"`(GET|PUT|POST|DELETE) (/[^`\s]+)`", cells[3]):
                found[(method, path)] = scope
    return found


def test_the_readme_table_the_matrix_and_the_routes_name_the_same_scopes() -> None:
    declared = {route: scope for route, scope in build_api().scopes.items() if scope}
    assert readme_scope_table() == SCOPE_OF == declared


async def test_only_an_admin_key_may_invite_hq(api: ApiClient) -> None:
    await api.call("PUT", "/v1/dealers/d1", DEALER)
    body = {"dealer_id": "hq", "role": "hq"}
    for scopes in (["shop"], ["invites:write"], ["hq"]):
        token = await make_key(api, "-".join(scopes), scopes)
        assert await send(api, token, "POST", "/v1/invites", body) == 403, scopes
    admin = await make_key(api, "root", ["admin"])
    assert await send(api, admin, "POST", "/v1/invites", body) == 201
    status, audit = await api.call("GET", "/v1/audit?action=invite.create")
    assert status == 200
    entries = audit["entries"]
    # The shop key lacks the scope (refused before the route); the two with it are audited.
    assert [e["allowed"] for e in entries] == [True, False, False]
    assert entries[0]["actor"] == f"key:{admin[3:15]}/root"
    assert entries[-1]["actor"].endswith("/invites:write")


async def test_a_shop_key_sees_only_its_channel(api: ApiClient) -> None:
    await api.call("PUT", "/v1/products/PX-1", PRODUCT)
    await api.call("PUT", "/v1/dealers/d1", DEALER)
    _, order = await api.call("POST", "/v1/orders", ORDER)
    jd = await make_key(api, "jd-shop", ["shop"], channel="jd")
    for method, path in (("GET", ""), ("POST", "/cancel")):
        headers = {"Authorization": f"Bearer {jd}"}
        async with api.http.request(
            method, f"{api.url}/v1/orders/{order['id']}{path}", headers=headers
        ) as r:
            answer = await r.json()
        # The same answer as for an order that does not exist: nothing leaks.
        assert (r.status, answer["error"]["code"]) == (404, "not_found")
    assert await send(api, jd, "POST", "/v1/orders", ORDER | {"external_id": "J-1"}) == 403
    assert await send(api, jd, "POST", "/v1/orders", {}) == 422  # named fields, not a refusal
    status, view = await api.call("GET", f"/v1/orders/{order['id']}")
    assert status == 200 and view["status"] != "cancelled"


async def test_an_order_names_the_key_that_sent_it(api: ApiClient) -> None:
    await api.call("PUT", "/v1/products/PX-1", PRODUCT)
    await api.call("PUT", "/v1/dealers/d1", DEALER)
    shop = await make_key(api, "mall-shop", ["shop"], channel=ORDER["channel"])
    headers = {"Authorization": f"Bearer {shop}"}
    async with api.http.post(f"{api.url}/v1/orders", json=ORDER, headers=headers) as r:
        assert r.status == 201
        placed = await r.json()
    async with api.http.get(f"{api.url}/v1/orders/{placed['id']}", headers=headers) as r:
        view = await r.json()
    assert (view["timeline"][0]["step"], view["timeline"][0]["actor"]) == (
        "received",
        f"key:{shop[3:15]}/mall-shop",
    )


async def test_refusals_are_counted_by_key_and_never_log_the_token(
    api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    reader = await make_key(api, "reader", ["readonly"])
    assert await send(api, reader, "POST", "/v1/broadcasts", {"text": "hi"}) == 403
    assert await send(api, "bk_000000000000_guess", "GET", "/v1/audit", None) == 401
    async with aiohttp.ClientSession() as http, http.get(f"{api.url}/metrics") as r:
        metrics = await r.text()
    assert f'baton_api_refusals_total{{key="{reader[3:15]}",reason="forbidden"}} 1' in metrics
    assert 'baton_api_refusals_total{key="none",reason="unauthorized"} 1' in metrics
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert reader[3:15] in logged and reader not in logged and "guess" not in logged


async def test_a_key_is_listed_with_its_use_but_never_its_secret(api: ApiClient) -> None:
    token = await make_key(api, "tmall-shop", ["shop"], channel="tmall")
    status, listed = await api.call("GET", "/v1/keys")
    assert status == 200
    [key] = listed["keys"]
    assert key["last_used_at"] is None and key["state"] == "active"
    assert token[16:] not in str(listed)
    assert await send(api, token, "GET", "/v1/orders/o_nope", None) == 404
    _, listed = await api.call("GET", "/v1/keys")
    assert listed["keys"][0]["last_used_at"] is not None
    assert listed["keys"][0]["scopes"] == ["orders:write"]
    assert listed["keys"][0]["channel"] == "tmall"


async def test_a_revoked_key_is_refused_at_once(api: ApiClient) -> None:
    token = await make_key(api, "soon-gone", ["audit:read"])
    assert await send(api, token, "GET", "/v1/audit", None) == 200
    assert (await api.call("POST", f"/v1/keys/{token[3:15]}/revoke"))[0] == 200
    assert await send(api, token, "GET", "/v1/audit", None) == 401
    status, audit = await api.call("GET", "/v1/audit?action=api_key.revoke")
    assert status == 200 and audit["entries"][0]["target"] == token[3:15]


async def test_a_key_is_made_only_with_known_scopes_and_one_binding(api: ApiClient) -> None:
    await api.call("PUT", "/v1/dealers/d1", DEALER)
    bad = [
        {"name": "x", "scopes": ["orders:delete"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["shop"], "channel": "tmall", "dealer_id": "d1"},
        {"name": "x", "scopes": ["shop"], "expires_at": "2000-01-01T00:00:00+00:00"},
        {"name": "x", "scopes": ["shop"], "expires_at": "2030-01-01T00:00:00"},
    ]
    for body in bad:
        status, answer = await api.call("POST", "/v1/keys", body)
        assert status == 422, (body, answer)
    status, _ = await api.call(
        "POST", "/v1/keys", {"name": "x", "scopes": ["sync"], "dealer_id": "nope"}
    )
    assert status == 404
    _, listed = await api.call("GET", "/v1/keys")
    assert listed["keys"] == []


async def test_every_change_names_the_key_that_made_it(api: ApiClient) -> None:
    sync = await make_key(api, "erp-sync", ["sync"])
    for method, path, body in (
        ("PUT", "/v1/products/PX-1", PRODUCT),
        ("PUT", "/v1/dealers/d1", DEALER),
        ("PUT", "/v1/dealers/d1/stock/PX-1", {"on_hand": 4}),
    ):
        assert await send(api, sync, method, path, body) in (200, 201), path
    status, audit = await api.call("GET", "/v1/audit?limit=3")
    assert status == 200
    assert [(e["action"], e["actor"], e["target"]) for e in audit["entries"]] == [
        ("stock.count", f"key:{sync[3:15]}/erp-sync", "d1/PX-1"),
        ("dealer.put", f"key:{sync[3:15]}/erp-sync", "dealer:d1"),
        ("product.put", f"key:{sync[3:15]}/erp-sync", "sku:PX-1"),
    ]
