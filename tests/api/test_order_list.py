"""``GET /v1/orders``: newest first, filtered, in pages or as one streamed CSV."""

from __future__ import annotations

import copy
import csv
import io
from datetime import timedelta
from typing import Any

from shared.http.lists import csv_cell
from shared.runtime import Runtime
from tests.api.test_access import make_key
from tests.api.test_errors import DEALER, ORDER, PRODUCT
from tests.api.test_pages import walk
from tests.conftest import ApiClient

BEIJING = {"region": "beijing", "city": "Beijing", "line": "1 Chang'an Ave", "lat": 39.9,
           "lon": 116.4}  # fmt: skip


async def post_orders(api: ApiClient) -> list[str]:
    """Five orders: E-1..E-4 of the mall (E-2 and E-4 in Beijing), W-1 of the web shop."""
    await api.call("PUT", "/v1/products/PX-1", PRODUCT)
    await api.call("PUT", "/v1/dealers/d1", DEALER)
    ids = []
    for external_id, channel in (("E-1", "mall"), ("E-2", "mall"), ("E-3", "mall"),
                                 ("E-4", "mall"), ("W-1", "web")):  # fmt: skip
        body: dict[str, Any] = copy.deepcopy(ORDER) | {"external_id": external_id}
        body["channel"] = channel
        body["customer"]["id"] = f"c-{external_id}"
        if external_id in ("E-2", "E-4"):
            body["address"] = BEIJING
        status, answer = await api.call("POST", "/v1/orders", body)
        assert status == 201, answer
        ids.append(answer["id"])
    return ids


async def external_ids(api: ApiClient, query: str) -> list[str]:
    pages = await walk(api, f"/v1/orders?{query}" if query else "/v1/orders", "orders", 2)
    return [order["external_id"] for page in pages for order in page]


async def test_orders_page_newest_first_and_every_filter_narrows(
    api: ApiClient, runtime: Runtime
) -> None:
    ids = await post_orders(api)
    pages = await walk(api, "/v1/orders", "orders", 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    listed = [order for page in pages for order in page]
    assert [o["external_id"] for o in listed] == ["W-1", "E-4", "E-3", "E-2", "E-1"]
    first = listed[-1]
    assert first["id"] == ids[0] and first["status"] == "waiting_for_hq"  # d1 has no stock
    assert (first["region"], first["channel"], first["currency"]) == ("sichuan", "mall", "CNY")
    assert first["amount_minor"] == 199_900
    assert "customer" not in first and "Zhang" not in str(listed)  # no personal data in lists

    assert await external_ids(api, "region=beijing") == ["E-4", "E-2"]
    assert await external_ids(api, "channel=web") == ["W-1"]
    assert await external_ids(api, "q=E-3") == ["E-3"]
    assert await external_ids(api, "q=E-") == ["E-4", "E-3", "E-2", "E-1"]
    number = ids[2].removeprefix("o_")[:6].upper()
    assert await external_ids(api, f"q={number}") == ["E-3"]
    assert await external_ids(api, f"q={ids[1]}") == ["E-2"]
    assert (await api.call("POST", f"/v1/orders/{ids[1]}/cancel", {"reason": "test"}))[0] == 200
    assert await external_ids(api, "status=cancelled") == ["E-2"]
    assert await external_ids(api, "status=cancelled&region=sichuan") == []

    today = runtime.clock.now().date()
    assert len(await external_ids(api, f"from={today - timedelta(days=1)}")) == 5
    assert await external_ids(api, f"from={today + timedelta(days=2)}") == []
    assert await external_ids(api, f"to={today - timedelta(days=2)}") == []
    later = (runtime.clock.now() + timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert len(await external_ids(api, f"to={later}")) == 5


async def test_bad_filters_are_named_and_a_wrong_kind_of_cursor_refused(api: ApiClient) -> None:
    status, answer = await api.call("GET", "/v1/orders?status=lost&format=xml&limit=0")
    assert status == 422
    assert {f["field"] for f in answer["error"]["fields"]} == {"status", "format", "limit"}
    status, answer = await api.call("GET", "/v1/orders?cursor=WzFd")  # the cursor [1]
    assert status == 422 and answer["error"]["fields"][0]["field"] == "cursor"


async def test_the_csv_streams_every_order_with_a_header_and_a_byte_order_mark(
    api: ApiClient,
) -> None:
    await post_orders(api)
    for how in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        status, text = await api.call("GET", "/v1/orders", **how)
        assert status == 200
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        assert rows[0][:4] == ["id", "external_id", "channel", "status"]
        assert [row[1] for row in rows[1:]] == ["W-1", "E-4", "E-3", "E-2", "E-1"]
    # The default page size does not cut a CSV short; a limit given does.
    async with api.http.get(
        f"{api.url}/v1/orders?format=csv&limit=2&region=beijing",
        headers={"Authorization": f"Bearer {await make_key(api, 'finance', ['readonly'])}"},
    ) as response:
        assert response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        body = await response.text()
    assert [row[1] for row in csv.reader(io.StringIO(body.removeprefix("\ufeff")))][1:] == [
        "E-4", "E-2"
    ]  # fmt: skip


async def test_a_channel_key_lists_only_its_channel(api: ApiClient) -> None:
    await post_orders(api)
    shop = await make_key(api, "web-shop", ["shop"], channel="web")
    headers = {"Authorization": f"Bearer {shop}"}
    for query, expected in (("", ["W-1"]), ("channel=web", ["W-1"]), ("channel=mall", [])):
        async with api.http.get(f"{api.url}/v1/orders?{query}", headers=headers) as r:
            assert r.status == 200
            assert [o["external_id"] for o in (await r.json())["orders"]] == expected


def test_a_csv_cell_never_starts_a_formula() -> None:
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [csv_cell(v) for v in ("+1", "-1", "@a", "E-1")] == ["'+1", "'-1", "'@a", "E-1"]
    assert [csv_cell(v) for v in (None, True, -5, ["a", "b"])] == ["", "true", "-5", '["a","b"]']
