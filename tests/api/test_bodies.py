"""Bodies are read whole, however slowly they arrive, and refused past the size limit.

The API and the bot's webhook read them through one helper (``shared.http.body``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from bots.dealer.app import build_application
from bots.dealer.webhook import MAX_BODY, PATH, SECRET_HEADER, webhook_app
from shared.http.errors import MAX_BODY_BYTES
from tests.api.rawhttp import send_slowly, split
from tests.conftest import TEST_TOKEN, ApiClient

AUTH = {"Authorization": f"Bearer {TEST_TOKEN}", "Content-Type": "application/json"}


def padded_invite(size: int) -> bytes:
    """A valid invitation body of ``size`` bytes: JSON may have any amount of whitespace."""
    head, tail = b'{"dealer_id": "hq",', b'"role": "hq"}'
    return head + b" " * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_valid_body_sent_slowly_in_pieces_is_read_whole(
    api: ApiClient, chunked: bool
) -> None:
    body = padded_invite(40 * 1024)
    answer = await send_slowly(
        api.url, "/v1/invites", split(body, 8), headers=AUTH, chunked=chunked
    )
    assert answer.status == 201, answer.body
    assert answer.json()["role"] == "hq"


async def test_a_body_over_the_limit_without_content_length_is_refused(api: ApiClient) -> None:
    body = padded_invite(MAX_BODY_BYTES + 64 * 1024)
    answer = await send_slowly(api.url, "/v1/invites", split(body, 6), headers=AUTH, chunked=True)
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "body_too_large"
    status, audit = await api.call("GET", "/v1/audit?action=invite.create")
    assert (status, audit["entries"]) == (200, [])


async def test_a_body_exactly_at_the_limit_is_taken(api: ApiClient) -> None:
    answer = await send_slowly(
        api.url, "/v1/invites", split(padded_invite(MAX_BODY_BYTES), 4), headers=AUTH
    )
    assert answer.status == 201, answer.body


async def test_many_large_valid_bodies_at_once_are_all_taken(api: ApiClient) -> None:
    body = padded_invite(250 * 1024)

    async def post() -> int:
        async with api.http.post(f"{api.url}/v1/invites", data=body, headers=AUTH) as r:
            return r.status

    statuses = await asyncio.gather(*(post() for _ in range(40)))
    assert statuses == [201] * 40


@pytest.fixture
async def webhook(redis: Redis) -> AsyncIterator[tuple[str, asyncio.Queue[object]]]:
    """The bot's webhook route, served; its updates go to the (never started) bot's queue."""
    bot_app = build_application("7000000003:body-test-token", "http://127.0.0.1:9/bot")
    runner = web.AppRunner(webhook_app(bot_app, "s3cret", redis), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", bot_app.update_queue
    finally:
        await runner.cleanup()


async def test_the_webhook_reads_a_slow_update_whole_and_refuses_an_oversized_one(
    webhook: tuple[str, asyncio.Queue[object]],
) -> None:
    url, updates = webhook
    update = {"update_id": 4242, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"},
        "text": "x" * 20_000, "from": {"id": 7, "is_bot": False, "first_name": "Li"}}}  # fmt: skip
    headers = {SECRET_HEADER: "s3cret", "Content-Type": "application/json"}
    answer = await send_slowly(url, PATH, split(json.dumps(update).encode(), 8), headers=headers)
    assert answer.status == 200
    received = updates.get_nowait()
    assert getattr(received, "update_id", None) == 4242

    huge = b'{"update_id": 1, "x": "' + b"y" * MAX_BODY + b'"}'
    answer = await send_slowly(url, PATH, split(huge, 8), headers=headers, chunked=True)
    assert answer.status == 413
    assert updates.empty()


async def test_the_webhook_refuses_deep_json_with_a_400(
    webhook: tuple[str, asyncio.Queue[object]],
) -> None:
    url, updates = webhook
    async with aiohttp.ClientSession() as http:
        deep = b"[" * 100_000 + b"]" * 100_000
        async with http.post(f"{url}{PATH}", data=deep, headers={SECRET_HEADER: "s3cret"}) as r:
            assert r.status == 400
    assert updates.empty()
