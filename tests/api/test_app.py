"""The HTTP API shell: health, metrics, OpenAPI, authentication and error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from baton.api import serve_api
from shared.runtime import Runtime, delivery_loops, running
from tests.conftest import TEST_TOKEN

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """The raw URL and session, for checking headers and auth by hand."""
    async with serve_api(runtime) as url, aiohttp.ClientSession() as http:
        yield url, http


async def test_healthz_checks_the_database_and_redis(api) -> None:
    url, http = api
    async with http.get(f"{url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {
            "status": "ok",
            "checks": {"database": "ok", "redis": "ok"},
        }


async def test_openapi_is_public_and_lists_the_routes(api) -> None:
    url, http = api
    async with http.get(f"{url}/v1/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert document["openapi"].startswith("3.")
    assert {"/healthz", "/metrics", "/v1/openapi.json"} <= set(document["paths"])


async def test_v1_needs_the_bearer_token(api) -> None:
    url, http = api
    async with http.get(f"{url}/v1/nothing-here") as response:
        assert response.status == 401
        body = await response.json()
        assert body["error"]["code"] == "unauthorized"
    async with http.get(f"{url}/v1/nothing-here", headers={"Authorization": "Bearer nope"}) as r:
        assert r.status == 401
    async with http.get(f"{url}/v1/nothing-here", headers=AUTH) as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"


async def test_metrics_are_prometheus_text(runtime: Runtime, api) -> None:
    url, http = api
    async with running(*delivery_loops(runtime)), http.get(f"{url}/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    assert "baton_outbox_published_total 0" in text
    assert "# TYPE baton_timers_fired_total counter" in text
