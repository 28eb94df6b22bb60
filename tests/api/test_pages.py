"""Every list comes in pages: ``limit`` and the ``next_cursor`` of the page before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.runtime import Runtime
from tests.api.test_errors import PRODUCT
from tests.conftest import ApiClient


async def walk(api: ApiClient, path: str, items: str, limit: int) -> list[list[Any]]:
    """Every page of a list, following its cursor until it is null."""
    pages: list[list[Any]] = []
    cursor: str | None = None
    sep = "&" if "?" in path else "?"
    while True:
        url = f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, answer = await api.call("GET", url)
        assert status == 200, answer
        pages.append(answer[items])
        cursor = answer["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ended"


async def test_the_audit_log_pages_newest_first_without_gaps_or_repeats(api: ApiClient) -> None:
    for i in range(7):
        status, _ = await api.call("POST", "/v1/keys", {"name": f"k{i}", "scopes": ["shop"]})
        assert status == 201
    pages = await walk(api, "/v1/audit?action=api_key.create", "entries", 3)
    assert [len(page) for page in pages] == [3, 3, 1]
    names = [entry["detail"]["name"] for page in pages for entry in page]
    assert names == [f"k{i}" for i in reversed(range(7))]


async def test_keys_page_oldest_first(api: ApiClient) -> None:
    for i in range(5):
        await api.call("POST", "/v1/keys", {"name": f"k{i}", "scopes": ["readonly"]})
    pages = await walk(api, "/v1/keys", "keys", 2)
    assert [[key["name"] for key in page] for page in pages] == [
        ["k0", "k1"], ["k2", "k3"], ["k4"]
    ]  # fmt: skip


async def test_promotions_page_and_filter_each_page(api: ApiClient, runtime: Runtime) -> None:
    await api.call("PUT", "/v1/products/PX-1", PRODUCT)
    now = runtime.clock.now()
    for i in range(5):
        body = {
            "name": f"p{i}", "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(), "skus": ["PX-1"],
            "percent_off": "5", "funded_by": "hq",
            "regions": ["sichuan"] if i % 2 else ["beijing"],
        }  # fmt: skip
        assert (await api.call("POST", "/v1/promotions", body))[0] == 201
    pages = await walk(api, "/v1/promotions", "promotions", 2)
    names = [p["name"] for page in pages for p in page]
    assert sorted(names) == [f"p{i}" for i in range(5)] and len(pages) == 3
    sichuan = await walk(api, "/v1/promotions?region=四川", "promotions", 2)
    assert sorted(p["name"] for page in sichuan for p in page) == ["p1", "p3"]


async def test_a_cursor_not_given_by_the_list_is_refused(api: ApiClient) -> None:
    for path in ("/v1/audit", "/v1/keys", "/v1/promotions"):
        for cursor in ("nonsense", "WyJ4Il0", "e30"):  # not base64 JSON; ["x"]; {}
            status, answer = await api.call("GET", f"{path}?cursor={cursor}")
            assert status == 422, (path, cursor, answer)
            assert answer["error"]["fields"][0]["field"] == "cursor"
        status, _ = await api.call("GET", f"{path}?limit=501")
        assert status == 422
