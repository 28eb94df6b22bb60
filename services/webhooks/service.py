"""The webhooks service: queue status changes for the shop and deliver them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from services.webhooks.handlers import handlers_for
from services.webhooks.sender import WebhookSender
from shared.runtime import Runtime, running


@asynccontextmanager
async def serve_webhooks(runtime: Runtime) -> AsyncIterator[str]:
    """Deliver order status webhooks while the block runs (idle without a webhook URL)."""
    settings = runtime.settings
    if not settings.order_webhook_url:
        yield "off (set BATON_ORDER_WEBHOOK_URL to send order status webhooks)"
        return
    consumer = runtime.consumer("webhooks", handlers_for(settings.order_webhook_url))
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(runtime.db, runtime.clock, http, settings.order_webhook_secret or "")
        async with running(consumer.run, sender.run):
            yield f"to {settings.order_webhook_url}"
