"""``GET /v1/dealers`` and ``GET /v1/products``: directories by id, filtered, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from tests.api.test_errors import DEALER, PRODUCT
from tests.api.test_pages import walk
from tests.conftest import ApiClient


async def put_dealers(api: ApiClient) -> None:
    for dealer_id, changes in (
        ("cd-1", {}),
        ("cd-2", {"name": "Jinjiang 50%_Store", "paused": True}),
        ("bj-1", {"region": "beijing", "city": "Beijing", "capabilities": ["delivery"]}),
        ("bj-2", {"region": "beijing", "city": "Beijing", "capabilities": ["pickup"]}),
        ("wh", {"name": "HQ warehouse", "warehouse": True, "capabilities": ["delivery"]}),
    ):
        status, answer = await api.call("PUT", f"/v1/dealers/{dealer_id}", DEALER | changes)
        assert status == 201, answer


async def dealer_ids(api: ApiClient, query: str) -> list[str]:
    pages = await walk(api, f"/v1/dealers?{query}", "dealers", 2)
    return [d["id"] for page in pages for d in page]


async def test_dealers_page_by_id_and_filter(api: ApiClient) -> None:
    await put_dealers(api)
    pages = await walk(api, "/v1/dealers", "dealers", 2)
    assert [[d["id"] for d in page] for page in pages] == [
        ["bj-1", "bj-2"], ["cd-1", "cd-2"], ["wh"]
    ]  # fmt: skip
    assert pages[0][0]["capabilities"] == ["delivery"] and pages[0][0]["city"] == "Beijing"
    assert await dealer_ids(api, "region=beijing") == ["bj-1", "bj-2"]
    assert await dealer_ids(api, "paused=true") == ["cd-2"]
    assert await dealer_ids(api, "paused=false&region=sichuan") == ["cd-1", "wh"]
    assert await dealer_ids(api, "capability=delivery") == ["bj-1", "cd-1", "cd-2", "wh"]
    assert await dealer_ids(api, "capability=pickup&region=beijing") == ["bj-2"]
    assert await dealer_ids(api, "q=WAREHOUSE") == ["wh"]
    assert await dealer_ids(api, "q=beij") == ["bj-1", "bj-2"]  # the city
    assert await dealer_ids(api, "q=50%25_") == ["cd-2"]  # LIKE's wildcards are plain text
    assert await dealer_ids(api, "q=0%25") == ["cd-2"]
    status, answer = await api.call("GET", "/v1/dealers?paused=maybe&capability=flying")
    assert status == 422
    assert {f["field"] for f in answer["error"]["fields"]} == {"paused", "capability"}


async def test_dealers_and_products_answer_as_csv(api: ApiClient) -> None:
    await put_dealers(api)
    for sku, category in (("PX-2", "phones"), ("PX-1", "phones"), ("TV-1", "tv")):
        assert (await api.call("PUT", f"/v1/products/{sku}", PRODUCT | {"category": category}))[
            0
        ] == 201
    status, text = await api.call("GET", "/v1/dealers?format=csv&region=beijing")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row["id"] for row in rows] == ["bj-1", "bj-2"]
    assert json.loads(rows[0]["capabilities"]) == ["delivery"] and rows[0]["paused"] == "false"

    pages = await walk(api, "/v1/products?category=phones", "products", 1)
    assert [[p["sku"] for p in page] for page in pages] == [["PX-1"], ["PX-2"]]
    assert pages[0][0]["list_price"] == "1999.00"
    status, text = await api.call("GET", "/v1/products", headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [(row["sku"], row["category"]) for row in rows] == [
        ("PX-1", "phones"), ("PX-2", "phones"), ("TV-1", "tv")
    ]  # fmt: skip
    assert (await api.call("GET", "/v1/products?q=tv-"))[1]["products"][0]["sku"] == "TV-1"
