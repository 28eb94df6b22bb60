"""The network's stock for HQ: `GET /v1/stock` (filtered, paged, as CSV) and
`GET /v1/stats/stock` (low and stale levels counted by region and SKU), on HQ's days."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from services.catalog.models import Dealer
from services.stock.models import StockLevel
from shared.clock import FakeClock
from shared.runtime import Runtime
from tests.api.test_pages import walk
from tests.broadcasts.support import dealer_row
from tests.conftest import ApiClient

# 01:00 on 10 January in Shanghai (HQ's zone): a count at 23:00 the day before, two hours
# earlier, is one of HQ's days old.
NOW = datetime(2026, 1, 9, 17, 0, tzinfo=UTC)
LEVELS = [  # dealer, SKU, on hand, reserved, counted (hours before NOW; None: never)
    ("a", "PX-1", 5, 4, 1),  # 1 available, counted today
    ("a", "PX-2", 10, 0, 24 * 5),  # 5 days old
    ("b", "PX-1", 0, 0, None),  # none, never counted
    ("c", "PX-1", 3, 0, 2),  # yesterday in HQ's days, though two hours ago
    ("w", "PX-1", 100, 0, 0),  # HQ's warehouse
]


@pytest.fixture
async def network(runtime: Runtime, clock: FakeClock) -> Runtime:
    """Dealers a (四川), b (sichuan), c (Yunnan) and HQ's warehouse w (Sichuan), and LEVELS."""
    clock.advance(seconds=(NOW - clock.now()).total_seconds())
    runtime.clock = clock
    async with runtime.db.write() as session:
        for dealer_id, region in (("a", "四川"), ("b", "sichuan"), ("c", "Yunnan")):
            session.add(dealer_row(dealer_id, region, NOW))
        session.add(dealer_row("w", "Sichuan", NOW, warehouse=True))
        for dealer_id, sku, on_hand, reserved, hours in LEVELS:
            counted = NOW - timedelta(hours=hours) if hours is not None else None
            session.add(
                StockLevel(dealer_id=dealer_id, sku=sku, on_hand=on_hand, reserved=reserved,
                           reported_at=counted, updated_at=NOW)
            )  # fmt: skip
    return runtime


async def _levels(api: ApiClient, query: str = "") -> list[tuple[str, str]]:
    status, page = await api.call("GET", f"/v1/stock{query}")
    assert status == 200, page
    return [(level["dealer_id"], level["sku"]) for level in page["levels"]]


async def test_the_networks_levels_by_dealer_and_sku_with_hq_days(
    api: ApiClient, network: Runtime
) -> None:
    status, page = await api.call("GET", "/v1/stock")
    assert status == 200 and page["next_cursor"] is None
    levels = page["levels"]
    assert [(v["dealer_id"], v["sku"]) for v in levels] == [(d, s) for d, s, *_ in LEVELS]
    assert levels[0] == {
        "dealer_id": "a", "region": "四川", "sku": "PX-1", "on_hand": 5, "reserved": 4,
        "available": 1, "reported_at": "2026-01-09T16:00:00Z",
        "days_since_report": 0,
    }  # fmt: skip
    assert [v["days_since_report"] for v in levels] == [0, 5, None, 1, 0]

    assert await _levels(api, "?low=1") == [("a", "PX-1"), ("b", "PX-1")]
    assert await _levels(api, "?stale_days=1") == [("a", "PX-2"), ("b", "PX-1")]
    assert await _levels(api, "?stale_days=0") == [("a", "PX-2"), ("b", "PX-1"), ("c", "PX-1")]
    assert await _levels(api, "?low=1&stale_days=1") == [("b", "PX-1")]  # both
    # A region in any spelling; HQ's warehouse is a dealer of its region too.
    sichuan = [("a", "PX-1"), ("a", "PX-2"), ("b", "PX-1"), ("w", "PX-1")]
    assert await _levels(api, "?region=SICHUAN") == sichuan
    assert await _levels(api, "?region=四川省") == sichuan
    assert await _levels(api, "?region=yunnan&sku=PX-1") == [("c", "PX-1")]
    assert await _levels(api, "?sku=PX-2") == [("a", "PX-2")]
    assert await _levels(api, "?region=Tibet") == []


async def test_the_networks_levels_page_without_gaps_and_stream_as_csv(
    api: ApiClient, network: Runtime
) -> None:
    pages = await walk(api, "/v1/stock", "levels", 2)
    assert [[(v["dealer_id"], v["sku"]) for v in page] for page in pages] == [
        [("a", "PX-1"), ("a", "PX-2")], [("b", "PX-1"), ("c", "PX-1")], [("w", "PX-1")],
    ]  # fmt: skip
    pages = await walk(api, "/v1/stock?region=sichuan&low=10", "levels", 1)
    assert [len(page) for page in pages] == [1, 1, 1]
    status, text = await api.call("GET", "/v1/stock?format=csv&stale_days=1")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert status == 200
    assert [(r["dealer_id"], r["available"], r["days_since_report"]) for r in rows] == [
        ("a", "10", "5"), ("b", "0", ""),
    ]  # fmt: skip
    for bad in ("?low=-1", "?stale_days=x", "?cursor=bm9wZQ", "?cursor=WyJhIl0", "?lo=1"):
        status, answer = await api.call("GET", f"/v1/stock{bad}")
        assert status == 422, (bad, answer)


async def test_low_and_stale_levels_are_counted_by_region_and_sku(
    api: ApiClient, network: Runtime
) -> None:
    status, stats = await api.call("GET", "/v1/stats/stock?low=1&stale_days=1")
    assert status == 200, stats
    assert (stats["low"], stats["stale_days"], stats["time_zone"]) == (1, 1, "Asia/Shanghai")
    assert stats["total"] == {"levels": 5, "low": 2, "stale": 2}
    assert stats["by_region"] == [  # 四川, sichuan and Sichuan are one region
        {"region": "Sichuan", "levels": 4, "low": 2, "stale": 2},
        {"region": "Yunnan", "levels": 1, "low": 0, "stale": 0},
    ]
    assert stats["by_sku"] == [
        {"sku": "PX-1", "levels": 4, "low": 2, "stale": 1},
        {"sku": "PX-2", "levels": 1, "low": 0, "stale": 1},
    ]
    assert stats["by_region_and_sku"] == [
        {"region": "Sichuan", "sku": "PX-1", "levels": 3, "low": 2, "stale": 1},
        {"region": "Sichuan", "sku": "PX-2", "levels": 1, "low": 0, "stale": 1},
        {"region": "Yunnan", "sku": "PX-1", "levels": 1, "low": 0, "stale": 0},
    ]
    # By default: out of stock, and older than the stock reminders' days (3).
    _, stats = await api.call("GET", "/v1/stats/stock")
    assert (stats["low"], stats["stale_days"]) == (0, 3)
    assert stats["total"] == {"levels": 5, "low": 1, "stale": 2}
    assert (await api.call("GET", "/v1/stats/stock?region=x"))[0] == 422


DEALERS, SKUS = 10_000, ("PX-1", "PX-2", "PX-3", "PX-4")


async def test_the_network_of_10000_dealers_pages_and_counts_every_level(
    api: ApiClient, runtime: Runtime, clock: FakeClock
) -> None:
    """10,000 dealers with 4 SKUs each: every filter answers its page, and the counts add up
    to the rows (how fast is `baton bench stats`'s business, not a test's)."""
    runtime.clock = clock
    now = clock.now()
    regions = ("Sichuan", "四川", "Yunnan", "Beijing", "Guangdong")
    dealers: list[dict[str, Any]] = []
    levels: list[dict[str, Any]] = []
    for n in range(DEALERS):
        dealer_id = f"d{n:05d}"
        row = dealer_row(dealer_id, regions[n % len(regions)], now).model_dump()
        dealers.append(row)
        for i, sku in enumerate(SKUS):
            counted = now - timedelta(days=(n + i) % 9) if (n + i) % 13 else None
            levels.append({
                "dealer_id": dealer_id, "sku": sku, "on_hand": (n * 7 + i) % 20, "reserved": 0,
                "version": 1, "reported_at": counted, "updated_at": now,
            })  # fmt: skip
    async with runtime.db.write() as session:
        connection = await session.connection()
        await connection.execute(insert(Dealer), dealers)
        await connection.execute(insert(StockLevel), levels)

    for query in (
        "?limit=500", "?low=0&limit=500", "?stale_days=7&limit=500", "?region=sichuan&limit=500",
        "?sku=PX-3&low=2&stale_days=3&limit=500",
        "?region=Beijing&sku=PX-4&low=0",  # none: every level of the region read, in vain
        "?cursor=WyJkMDk5OTAiLCAiUFgtMiJd",
    ):  # fmt: skip
        status, page = await api.call("GET", f"/v1/stock{query}")
        assert status == 200 and (page["levels"] or "Beijing" in query), (query, page)
    status, stats = await api.call("GET", "/v1/stats/stock?low=2&stale_days=3")
    assert status == 200 and stats["total"]["levels"] == DEALERS * len(SKUS)
    assert stats["total"]["low"] == sum(level["on_hand"] <= 2 for level in levels)
    assert sum(r["levels"] for r in stats["by_region"]) == DEALERS * len(SKUS)
    assert [r["region"] for r in stats["by_region"]] == [
        "Beijing",
        "Guangdong",
        "Sichuan",
        "Yunnan",
    ]
