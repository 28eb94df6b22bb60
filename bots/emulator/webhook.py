"""Webhook delivery: POST each update in order, retry with back-off on failure."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp

from bots.emulator.feed import ChangeFeed
from bots.emulator.models import WebhookConfig
from bots.emulator.state import Emulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """One delivery task per bot; updates stay queued until the receiver answers 2xx."""

    def __init__(
        self,
        emulator: Emulator,
        feed: ChangeFeed,
        session: aiohttp.ClientSession,
        *,
        retry_base: float = 0.5,
        retry_max: float = 15.0,
        timeout: float = 10.0,
    ) -> None:
        self.emulator = emulator
        self.feed = feed
        self.session = session
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.timeout = timeout
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start delivering for every bot."""
        for bot_id in self.emulator.bots:
            self._tasks.append(asyncio.create_task(self._run(bot_id)))

    async def stop(self) -> None:
        """Stop delivering."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _next(self, bot_id: int) -> tuple[WebhookConfig, dict[str, Any]] | None:
        bot = self.emulator.bots[bot_id]
        if bot.webhook is None or not bot.pending:
            return None
        return bot.webhook, bot.pending[0]

    async def _run(self, bot_id: int) -> None:
        backoff = self.retry_base
        while not self.feed.closed:
            item = await self.feed.wait_for(lambda: self._next(bot_id), None)
            if item is None:
                return
            webhook, update = item
            error = await self._post(webhook, update)
            bot = self.emulator.bots[bot_id]
            if error is None:
                bot.pending[:] = [u for u in bot.pending if u["update_id"] != update["update_id"]]
                self.emulator.stats.webhook_deliveries += 1
                self.emulator.touch()
                backoff = self.retry_base
                continue
            bot.last_error_date = self.emulator.now()
            bot.last_error_message = error
            self.emulator.stats.webhook_failures += 1
            self.emulator.touch()
            version = webhook.version

            def changed(version: int = version) -> bool:
                current = self.emulator.bots[bot_id].webhook
                return current is None or current.version != version

            if await self.feed.wait_for(changed, backoff):
                backoff = self.retry_base
            else:
                backoff = min(backoff * 2, self.retry_max)

    async def _post(self, webhook: WebhookConfig, update: dict[str, Any]) -> str | None:
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        try:
            async with self.session.post(
                webhook.url,
                data=json.dumps(update, ensure_ascii=False),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection error: {exc.__class__.__name__}"
