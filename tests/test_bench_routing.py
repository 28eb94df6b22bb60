"""The routing and orders benchmarks run end to end, tiny, on the test Redis and database."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from sqlmodel import func, select

from benchmarks.cli import main
from benchmarks.common import BenchError
from benchmarks.orders import run_orders_bench
from benchmarks.routing import (
    NEAR_COUNT,
    make_network,
    make_orders,
    run_routing_bench,
)
from services.catalog.geo import GEO_KEY
from services.catalog.models import Dealer
from services.stock.view import PREFIX
from shared.db.engine import Database


async def test_routing_routes_every_order_at_every_size(
    redis: Redis, redis_url: str, database_url: str, db: Database
) -> None:
    lines: list[str] = []
    report = await run_routing_bench(
        redis_url, database_url, dealers=[20, 60], orders=5, progress=lines.append
    )

    assert [r.dealers for r in report.results] == [20, 60]
    for result in report.results:
        assert (result.orders, result.routed, len(result.times_s)) == (5, 5, 5)
        assert result.candidates >= 1
        assert result.p50_ms > 0 and result.ping_s > 0 and result.geosearch_s > 0
    assert report.ratio(report.results[0]) == pytest.approx(1.0)
    text = report.format()
    assert "goal (every size within 2× of the 20-dealer median)" in text
    assert "  21/21 written" in lines  # the 20 dealers and HQ's warehouse
    assert "  40/40 written" in lines

    # It removes its network: no dealers, no geo index, no stock view keys.
    async with db.read() as session:
        assert (await session.exec(select(func.count()).select_from(Dealer))).one() == 0
    assert not await redis.exists(GEO_KEY)
    assert not [key async for key in redis.scan_iter(match=f"{PREFIX}*")]


async def test_routing_refuses_a_database_with_dealers(
    redis: Redis, redis_url: str, database_url: str
) -> None:
    await redis.geoadd(GEO_KEY, (104.0, 30.6, "someone"))
    with pytest.raises(BenchError, match="network of its own"):
        await run_routing_bench(redis_url, database_url, dealers=[5], orders=1)
    assert await redis.exists(GEO_KEY)  # somebody's index is left alone


def test_the_network_is_deterministic_and_grows_by_appending() -> None:
    small, large = make_network(NEAR_COUNT + 10), make_network(NEAR_COUNT + 50)
    assert large[: len(small)] == small
    assert all(d.stock and d.capabilities for d in large)
    assert make_orders(5, 20) == make_orders(5, 20)


async def test_orders_offers_every_order(redis: Redis, redis_url: str, database_url: str) -> None:
    lines: list[str] = []
    report = await run_orders_bench(
        redis_url, database_url, orders=5, concurrency=2, dealers=20, progress=lines.append
    )

    assert len(report.latencies_s) == 5
    assert all(latency > 0 for latency in report.latencies_s)
    assert report.rate > 0 and report.ping_rate > 0
    assert "POST -> OrderOffered" in report.format()
    assert report.cpu_ms_per_order > 0 and report.floor_rate > 0
    assert "CPU per order" in report.format()
    assert lines


async def test_orders_open_loop_sends_at_the_rate_given(
    redis: Redis, redis_url: str, database_url: str
) -> None:
    report = await run_orders_bench(
        redis_url, database_url, orders=6, dealers=20, rate=20.0, progress=None
    )
    assert len(report.latencies_s) == 6
    assert "open-loop at 20/s" in report.format()


@pytest.mark.timeout(300)
async def test_orders_as_separate_processes(
    redis: Redis, redis_url: str, database_url: str
) -> None:
    """``--replicas``: Baton as ``baton run`` processes; CPU is theirs, per service."""
    report = await run_orders_bench(
        redis_url, database_url, orders=5, concurrency=2, dealers=20, replicas=1
    )
    assert len(report.latencies_s) == 5
    assert set(report.cpu_by_service) == {"api", "stock", "orders"}
    assert report.cpu_s > 0
    assert "CPU per order by service: api" in report.format()


def test_cli_prints_the_routing_table(
    redis: Redis, redis_url: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["routing", "--dealers", "20", "--orders", "3"]
    assert main([*argv, "--redis-url", redis_url, "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "p50 vs 20" in out
    assert "3/3" in out


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["routing", "--radius-km", "0"], ["orders", "--pickup-share", "2"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
    assert "--pickup-share" in capsys.readouterr().err
