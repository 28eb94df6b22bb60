"""Webhook mode: Telegram posts updates to us; the secret is checked before anything else.

Several bot replicas may serve one webhook URL behind a load balancer: an update id is
claimed in Redis (``SET NX`` with a day's expiry) so a retried or duplicated delivery is
processed once, whichever replica receives it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from redis.asyncio import Redis
from telegram import Update

from bots.dealer.context import BotApp
from shared.http.body import BadJson, BodyTooLarge, loads, read_limited

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram/webhook"
SEEN_TTL_S = 24 * 3600
MAX_BODY = 1024 * 1024


def webhook_app(bot_app: BotApp, secret: str, redis: Redis) -> web.Application:
    """An aiohttp app with the webhook route feeding ``bot_app``."""
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):  # before the body is even read
            log.warning("refused a webhook call with a wrong secret from %s", request.remote)
            return web.Response(status=403)
        try:
            data = loads(await read_limited(request, MAX_BODY))
            update_id = int(data["update_id"])
        except BodyTooLarge:
            return web.Response(status=413)
        except (BadJson, ValueError, KeyError, TypeError, OverflowError):
            return web.Response(status=400)
        if not await redis.set(f"baton:bot:update:{update_id}", 1, nx=True, ex=SEEN_TTL_S):
            return web.Response(status=200)  # a repeat: already taken in by some replica
        update = Update.de_json(data, bot_app.bot)
        await bot_app.update_queue.put(update)
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(PATH, receive)
    return app


@asynccontextmanager
async def serving_webhook(
    bot_app: BotApp, url: str | None, secret: str, redis: Redis, host: str, port: int
) -> AsyncIterator[str]:
    """Run ``bot_app`` fed by a webhook served on host:port until the block exits.

    ``url`` is what Telegram should post to (the public address in front of this server);
    None means this server's own address, for tests and the emulator.
    """
    await bot_app.initialize()
    if bot_app.post_init is not None:
        await bot_app.post_init(bot_app)
    await bot_app.start()
    runner = web.AppRunner(webhook_app(bot_app, secret, redis), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    own = f"http://{host}:{runner.addresses[0][1]}{PATH}"
    try:
        await bot_app.bot.set_webhook(url or own, secret_token=secret, drop_pending_updates=False)
        yield own
    finally:
        await runner.cleanup()
        await bot_app.stop()
        await bot_app.shutdown()
