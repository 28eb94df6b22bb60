"""Webhook mode: the secret is checked before the body, and a repeated update runs once."""

from __future__ import annotations

import aiohttp
from redis.asyncio import Redis

from bots.dealer.app import build_application
from bots.dealer.webhook import SECRET_HEADER, serving_webhook
from bots.emulator import EmulatorClient, EmulatorServer
from shared.runtime import Runtime

TOKEN = "7000000002:webhook-test-token"


async def test_updates_arrive_by_webhook_and_a_wrong_secret_is_refused(
    runtime: Runtime, redis: Redis
) -> None:
    server = EmulatorServer(tokens=[TOKEN], webhook_retry_base=0.02, webhook_retry_max=0.1)
    await server.start()
    app = build_application(TOKEN, server.api_base, runtime)
    try:
        async with (
            serving_webhook(app, None, "s3cret", redis, "127.0.0.1", 0) as url,
            EmulatorClient(server.url) as emu,
            aiohttp.ClientSession() as http,
        ):
            user = (await emu.create_user("Li", language_code="en"))["id"]
            await emu.send_text(user, "/help")
            await emu.wait_for_message(user, contains="What you can do", timeout=10)

            update = {"update_id": 999, "message": {"message_id": 1, "date": 0,
                      "chat": {"id": user, "type": "private"}, "text": "/help",
                      "from": {"id": user, "is_bot": False, "first_name": "Li"},
                      "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}  # fmt: skip
            async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as r:
                assert r.status == 403
            async with http.post(url, json=update) as r:
                assert r.status == 403
            for _ in range(3):  # the same update delivered three times
                async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret"}) as r:
                    assert r.status == 200
            async with http.post(url, data=b"{", headers={SECRET_HEADER: "s3cret"}) as r:
                assert r.status == 400
            await emu.wait_for_message(
                user, predicate=lambda m: m["message_id"] > 2 and "What you can do" in m["text"]
            )
            helps = [m for m in await emu.messages(user) if "What you can do" in (m["text"] or "")]
            assert len(helps) == 2  # once by the emulator's own delivery, once for update 999
    finally:
        await server.stop()
