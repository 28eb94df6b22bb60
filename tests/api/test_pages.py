"""Every list comes in pages: ``limit`` and the ``next_cursor`` of the page before."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from shared.runtime import Runtime
from tests.api.test_errors import DEALER, PRODUCT
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


async def five_promotions(api: ApiClient, runtime: Runtime) -> None:
    """Promotions p0..p4 of PX-1, live a day: the odd ones in Sichuan, the even in Beijing."""
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


async def test_promotions_page_and_filter_each_page(api: ApiClient, runtime: Runtime) -> None:
    await five_promotions(api, runtime)
    pages = await walk(api, "/v1/promotions", "promotions", 2)
    names = [p["name"] for page in pages for p in page]
    assert sorted(names) == [f"p{i}" for i in range(5)] and len(pages) == 3
    sichuan = await walk(api, "/v1/promotions?region=四川", "promotions", 2)
    assert sorted(p["name"] for page in sichuan for p in page) == ["p1", "p3"]


async def test_a_dealers_stock_pages_by_sku(api: ApiClient) -> None:
    assert (await api.call("PUT", "/v1/dealers/d1", DEALER))[0] == 201
    for i in range(5):
        assert (await api.call("PUT", f"/v1/products/PX-{i}", PRODUCT))[0] == 201
        body = {"on_hand": i + 1}
        assert (await api.call("PUT", f"/v1/dealers/d1/stock/PX-{i}", body))[0] == 200
    pages = await walk(api, "/v1/dealers/d1/stock", "levels", 2)
    assert [[(lv["sku"], lv["on_hand"]) for lv in page] for page in pages] == [
        [("PX-0", 1), ("PX-1", 2)], [("PX-2", 3), ("PX-3", 4)], [("PX-4", 5)]
    ]  # fmt: skip
    status, answer = await api.call("GET", "/v1/dealers/d1/stock?limit=1001")
    assert status == 422 and answer["error"]["fields"][0]["field"] == "limit"


async def test_floor_histories_page_oldest_first(api: ApiClient) -> None:
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    category = PRODUCT["category"]
    for floor in ("10.00", "11.00", "12.00", "13.00", "14.00"):
        for path in ("/v1/price-rules/PX-1", f"/v1/price-rules/category/{category}"):
            body = {"floor": floor} | ({"currency": "CNY"} if "category" in path else {})
            status, answer = await api.call("PUT", path, body)
            assert status == 201, answer
    for path in ("/v1/price-rules/PX-1", f"/v1/price-rules/category/{category}"):
        pages = await walk(api, path, "versions", 2)
        assert [[v["floor"] for v in page] for page in pages] == [
            ["10.00", "11.00"], ["12.00", "13.00"], ["14.00"]
        ], path  # fmt: skip
        status, whole = await api.call("GET", path)
        assert [v["in_force"] for v in whole["versions"]] == [False] * 4 + [True]
        assert whole["next_cursor"] is None


async def test_a_cursor_not_given_by_the_list_is_refused(api: ApiClient) -> None:
    paths = ("/v1/price-rules/PX-1", "/v1/dealers/d1/stock")
    await api.call("PUT", "/v1/products/PX-1", PRODUCT)
    await api.call("PUT", "/v1/dealers/d1", DEALER)
    for path in paths:
        wrong_kind = "WyJ4Il0" if "price-rules" in path else "WzFd"  # ["x"] for ids, [1] for SKUs
        for cursor in ("nonsense", "e30", wrong_kind):  # not base64 JSON; {}; the other kind
            status, answer = await api.call("GET", f"{path}?cursor={cursor}")
            assert status == 422, (path, cursor, answer)
            assert answer["error"]["fields"][0]["field"] == "cursor"
    for path in ("/v1/audit", "/v1/keys", "/v1/promotions"):
        for cursor in ("nonsense", "WyJ4Il0", "e30"):  # not base64 JSON; ["x"]; {}
            status, answer = await api.call("GET", f"{path}?cursor={cursor}")
            assert status == 422, (path, cursor, answer)
            assert answer["error"]["fields"][0]["field"] == "cursor"
        status, _ = await api.call("GET", f"{path}?limit=501")
        assert status == 422


async def test_promotions_and_the_audit_log_answer_as_csv(api: ApiClient, runtime: Runtime) -> None:
    await five_promotions(api, runtime)
    # A filtered page is full while rows remain: the filter reads on past a page.
    status, page = await api.call("GET", "/v1/promotions?region=beijing&limit=2")
    assert [p["name"] for p in page["promotions"]] == ["p4", "p2"] and page["next_cursor"]
    status, text = await api.call("GET", "/v1/promotions?region=Beijing&format=csv")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert status == 200 and [row["name"] for row in rows] == ["p4", "p2", "p0"]
    assert json.loads(rows[0]["regions"]) == ["beijing"]
    status, text = await api.call(
        "GET", "/v1/audit?action=promotion.create", headers={"Accept": "text/csv"}
    )
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [json.loads(row["detail"])["name"] for row in rows] == [
        f"p{i}" for i in range(4, -1, -1)
    ]


async def test_a_dealers_stock_and_the_keys_answer_as_csv(api: ApiClient) -> None:
    assert (await api.call("PUT", "/v1/dealers/d1", DEALER))[0] == 201
    for i in range(3):
        assert (await api.call("PUT", f"/v1/products/PX-{i}", PRODUCT))[0] == 201
        assert (await api.call("PUT", f"/v1/dealers/d1/stock/PX-{i}", {"on_hand": i}))[0] == 200
        await api.call("POST", "/v1/keys", {"name": f"k{i}", "scopes": ["readonly"]})
    status, page = await api.call("GET", "/v1/dealers/d1/stock?limit=2")
    assert page["dealer_id"] == "d1" and len(page["levels"]) == 2 and page["next_cursor"]
    status, text = await api.call("GET", "/v1/dealers/d1/stock?format=csv")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert status == 200 and [(r["sku"], r["on_hand"]) for r in rows] == [
        ("PX-0", "0"), ("PX-1", "1"), ("PX-2", "2")
    ]  # fmt: skip
    status, text = await api.call("GET", "/v1/keys", headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["name"] for r in rows] == ["k0", "k1", "k2"]
    assert "token" not in rows[0] and not any("bk_" in value for value in rows[0].values())
