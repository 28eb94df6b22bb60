"""Rate limits: per key and class of route, in Redis, shared by every API replica."""

from __future__ import annotations

from contextlib import AsyncExitStack

import aiohttp
import pytest
from redis.asyncio import Redis

from baton.api import serve_api
from baton.runtime import open_runtime
from baton.settings import load_settings
from shared.http.limits import DEFAULTS, Limiter, Rate, parse_limits
from shared.settings import Settings, SettingsError
from tests.conftest import TEST_TOKEN


async def test_a_bucket_refills_evenly_over_its_period(redis: Redis) -> None:
    limiter = Limiter(redis, parse_limits("broadcasts=3/min"))
    waits = [await limiter.wait_for("k1", "broadcasts", 1000.0) for _ in range(4)]
    assert waits[:3] == [0, 0, 0] and waits[3] == pytest.approx(20, abs=0.01)
    assert await limiter.wait_for("k2", "broadcasts", 1000.0) == 0  # another key: its own
    assert await limiter.wait_for("k1", "reads", 1000.0) == 0  # another class: its own
    assert await limiter.wait_for("k1", "broadcasts", 1019.0) == pytest.approx(1, abs=0.01)
    assert await limiter.wait_for("k1", "broadcasts", 1020.0) == 0  # one came back
    assert await limiter.wait_for("k1", "broadcasts", 1020.0) > 0
    assert await limiter.wait_for("k1", "broadcasts", 1080.0) == 0  # full again


def test_limits_are_the_defaults_with_the_classes_given_over_them() -> None:
    limits = parse_limits("broadcasts=2/min, orders=50/s")
    assert limits["broadcasts"] == Rate(2, 60) and limits["orders"] == Rate(50, 1)
    assert set(limits) == set(DEFAULTS) and limits["reads"] == Rate.parse(DEFAULTS["reads"])
    for bad in ("broadcasts=lots", "teleports=1/s", "orders=0/s", "orders"):
        with pytest.raises(ValueError, match=r"rate|class"):
            parse_limits(bad)


def test_a_bad_limit_stops_the_start_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_RATE_LIMITS", "broadcasts=10/fortnight")
    with pytest.raises(SettingsError, match="BATON_RATE_LIMITS"):
        load_settings()


async def test_two_api_replicas_share_one_budget_and_answer_429_with_retry_after(
    settings: Settings, db: object
) -> None:
    limited = settings.model_copy(update={"rate_limits": "broadcasts=3/min"})
    admin = {"Authorization": f"Bearer {TEST_TOKEN}"}
    async with AsyncExitStack() as stack, aiohttp.ClientSession() as http:
        urls = []
        for _ in range(2):  # two API processes' worth: each its own runtime and app
            runtime = await stack.enter_async_context(open_runtime(limited))
            urls.append(await stack.enter_async_context(serve_api(runtime)))
        body = {"name": "ops", "scopes": ["broadcasts:write"]}
        async with http.post(f"{urls[0]}/v1/keys", json=body, headers=admin) as r:
            assert r.status == 201
            key = {"Authorization": f"Bearer {(await r.json())['token']}"}
        answers = []
        for i in range(4):  # alternating replicas: 3 a minute between them
            url = f"{urls[i % 2]}/v1/broadcasts"
            async with http.post(url, json={"text": "hi"}, headers=key) as r:
                answers.append((r.status, r.headers.get("Retry-After")))
        # Within the limit the route answers for itself (no dealer chat yet: 422).
        assert [status for status, _ in answers[:3]] == [422, 422, 422]
        status, retry_after = answers[3]
        assert status == 429 and retry_after is not None and 1 <= int(retry_after) <= 60
        async with http.get(f"{urls[1]}/v1/broadcasts/bc_nope", headers=key) as r:
            assert r.status == 404  # reads are another class, with their own budget
        async with http.post(f"{urls[1]}/v1/broadcasts", json={"text": "x"}, headers=admin) as r:
            assert r.status == 422  # another key, its own budget
        async with http.get(f"{urls[1]}/metrics") as r:  # the replica that refused
            assert 'reason="too_many_requests"} 1' in await r.text()
