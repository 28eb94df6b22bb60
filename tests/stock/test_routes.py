"""Stock over HTTP on a real server: counts, levels, 404s, bad bodies that change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis
from sqlmodel import select

from baton.api import build_api
from services.access.public import Authenticator
from services.stock import routes
from services.stock.view import availability
from shared.db.models import OutboxRow
from shared.http.access import auth_middleware
from shared.http.context import API, DIRECTORY, RUNTIME
from shared.http.errors import errors_middleware
from shared.messages import Envelope
from shared.runtime import Runtime
from tests.conftest import TEST_TOKEN, ApiClient
from tests.stock.conftest import reserve_now


class SetDirectory:
    """A catalog that knows exactly these dealers and SKUs."""

    def __init__(self, dealers: set[str], skus: set[str]) -> None:
        self.dealers, self.skus = dealers, skus

    async def has_dealer(self, dealer_id: str) -> bool:
        """True if the dealer is in the set."""
        return dealer_id in self.dealers

    async def has_product(self, sku: str) -> bool:
        """True if the SKU is in the set."""
        return sku in self.skus


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[ApiClient]:
    """The API with the stock routes, served the way create_app builds it."""
    api = build_api()
    api.include(routes.ROUTES)
    public = {p for p, ops in api.paths.items() if all("security" not in op for op in ops.values())}
    authenticate = Authenticator(runtime.db, runtime.clock, TEST_TOKEN)
    check = auth_middleware(authenticate, public, runtime.metrics.count_refusal)
    app = web.Application(middlewares=[errors_middleware, check])
    app[RUNTIME] = runtime
    app[API] = api
    app[DIRECTORY] = SetDirectory({"d1", "d2"}, {"X", "Y"})
    api.install(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield ApiClient(f"http://127.0.0.1:{runner.addresses[0][1]}", http)
    finally:
        await runner.cleanup()


async def test_a_count_sets_on_hand_and_the_dealer_lists_its_levels(
    client: ApiClient, runtime: Runtime, redis: Redis
) -> None:
    status, body = await client.call("PUT", "/v1/dealers/d1/stock/X", {"on_hand": 7})
    assert status == 200
    reported_at = datetime.fromisoformat(body.pop("reported_at"))
    assert body == {"sku": "X", "on_hand": 7, "reserved": 0, "available": 7}
    assert abs(reported_at - runtime.clock.now()) < timedelta(minutes=1)
    await client.call("PUT", "/v1/dealers/d1/stock/Y", {"on_hand": 0})
    status, body = await client.call("GET", "/v1/dealers/d1/stock")
    assert status == 200
    assert body["dealer_id"] == "d1"
    assert [(lv["sku"], lv["on_hand"], lv["available"]) for lv in body["levels"]] == [
        ("X", 7, 7),
        ("Y", 0, 0),
    ]
    assert await availability(redis, ["d1"], ["X", "Y"]) == {"d1": {"X": 7, "Y": 0}}
    assert (await client.call("GET", "/v1/dealers/d2/stock"))[1]["levels"] == []


async def test_a_count_below_reserved_releases_and_announces_it(
    client: ApiClient, runtime: Runtime
) -> None:
    await client.call("PUT", "/v1/dealers/d1/stock/X", {"on_hand": 3})
    await reserve_now(runtime.db, runtime.redis, runtime.clock, "r1", "d1", X=2)
    status, body = await client.call("PUT", "/v1/dealers/d1/stock/X", {"on_hand": 1})
    assert status == 200
    assert (body["on_hand"], body["reserved"], body["available"]) == (1, 0, 1)
    async with runtime.db.read() as session:
        rows = (await session.exec(select(OutboxRow))).all()
    emitted = [Envelope.decode(row.envelope) for row in rows]
    released = [e for e in emitted if e.name == "stock.ReservationReleased"]
    assert [e.payload["reason"] for e in released] == ["stock_reported_short"]


@pytest.mark.parametrize(
    ("path", "code", "field"),
    [
        ("/v1/dealers/nobody/stock/X", "unknown_dealer", "dealer_id"),
        ("/v1/dealers/d1/stock/NOPE", "unknown_sku", "sku"),
    ],
)
async def test_unknown_dealers_and_skus_are_404(
    client: ApiClient, path: str, code: str, field: str
) -> None:
    status, body = await client.call("PUT", path, {"on_hand": 1})
    assert status == 404
    assert (body["error"]["code"], body["error"]["fields"][0]["field"]) == (code, field)
    assert (await client.call("GET", "/v1/dealers/nobody/stock"))[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"on_hand": -1}, "on_hand"),
        ({"on_hand": "5"}, "on_hand"),
        ({"on_hand": 1.5}, "on_hand"),
        ({"on_hand": True}, "on_hand"),
        ({"on_hand": 100_000_001}, "on_hand"),
        ({}, "on_hand"),
        ({"on_hand": 1, "reserved": 0}, "reserved"),
        ([1], "(body)"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field_and_changes_nothing(
    client: ApiClient, redis: Redis, body: object, field: str
) -> None:
    await client.call("PUT", "/v1/dealers/d1/stock/X", {"on_hand": 4})
    before = await client.call("GET", "/v1/dealers/d1/stock")
    status, answer = await client.call("PUT", "/v1/dealers/d1/stock/X", body)
    assert status == 422
    assert answer["error"]["code"] == "invalid"
    assert field in [f["field"] for f in answer["error"]["fields"]]
    assert await client.call("GET", "/v1/dealers/d1/stock") == before
    assert await availability(redis, ["d1"], ["X"]) == {"d1": {"X": 4}}


async def test_malformed_json_is_400(client: ApiClient) -> None:
    status, answer = await client.call(
        "PUT",
        "/v1/dealers/d1/stock/X",
        data=b"{on_hand: 1",
        headers={"Content-Type": "application/json"},
    )
    assert (status, answer["error"]["code"]) == (400, "bad_json")


async def test_the_openapi_document_describes_the_stock_routes(client: ApiClient) -> None:
    _, document = await client.call("GET", "/v1/openapi.json")
    put = document["paths"]["/v1/dealers/{dealer_id}/stock/{sku}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/StockBody"
    )
    assert "get" in document["paths"]["/v1/dealers/{dealer_id}/stock"]
    schemas = document["components"]["schemas"]
    assert schemas["StockBody"]["properties"]["on_hand"]["minimum"] == 0
    assert set(schemas["LevelOut"]["properties"]) == {
        "sku", "on_hand", "reserved", "available", "reported_at"
    }  # fmt: skip


async def test_the_stock_routes_need_the_token(client: ApiClient) -> None:
    status, _ = await client.call(
        "GET", "/v1/dealers/d1/stock", headers={"Authorization": "Bearer wrong"}
    )
    assert status == 401
