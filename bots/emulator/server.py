"""EmulatorServer: the aiohttp app serving the Bot API, /_emu/ and the dev page."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import aiohttp
from aiohttp import web

from bots.emulator import botapi, emu_admin, emu_api
from bots.emulator.feed import ChangeFeed
from bots.emulator.limits import Clock, Limits
from bots.emulator.models import CallbackRecord, StoredMessage
from bots.emulator.runtime import RUNTIME, Runtime
from bots.emulator.state import Emulator
from bots.emulator.webhook import WebhookDeliverer

DEFAULT_TOKEN = "123456:TEST-baton-dev-token"
MAX_UPLOAD = 50 * 1024 * 1024
T = TypeVar("T")


def build_app(rt: Runtime) -> web.Application:
    """The aiohttp application for a runtime."""
    app = web.Application(client_max_size=MAX_UPLOAD)
    app[RUNTIME] = rt
    botapi.add_routes(app)
    emu_api.add_routes(app)
    emu_admin.add_routes(app)
    return app


class EmulatorServer:
    """A real HTTP server emulating Telegram's Bot API for one or more bot tokens."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: Sequence[str] = (DEFAULT_TOKEN,),
        *,
        limits: Limits | None = None,
        clock: Clock = time.time,
        bot_username: str = "baton_dev_bot",
        usernames: Sequence[str] | None = None,
        emulator: Emulator | None = None,
        webhook_retry_base: float = 0.5,
        webhook_retry_max: float = 15.0,
        webhook_timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.emulator = emulator or Emulator(
            tokens, usernames=usernames or (bot_username,), clock=clock, limits=limits
        )
        self._webhook_options = (webhook_retry_base, webhook_retry_max, webhook_timeout)
        self.feed: ChangeFeed | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._deliverer: WebhookDeliverer | None = None
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> int:
        """Start serving; returns the bound port (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("already started")
        self.feed = feed = ChangeFeed()
        self._unsubscribe = self.emulator.subscribe(feed.notify)
        self._session = aiohttp.ClientSession()
        base, most, timeout = self._webhook_options
        self._deliverer = WebhookDeliverer(
            self.emulator, feed, self._session, retry_base=base, retry_max=most, timeout=timeout
        )
        runner = web.AppRunner(build_app(Runtime(self.emulator, feed)), shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._deliverer.start()
        return self.port

    async def stop(self) -> None:
        """Stop serving, release long polls, stop webhook delivery, close the client session."""
        if self.feed is not None:
            self.feed.close()
        if self._deliverer is not None:
            await self._deliverer.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._runner = self._session = self._deliverer = self._unsubscribe = None
        self.feed = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8081."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What PTB takes as base_url."""
        return f"{self.url}/bot"

    @property
    def file_base(self) -> str:
        """What PTB takes as base_file_url."""
        return f"{self.url}/file/bot"

    @property
    def token(self) -> str:
        """The first bot's token."""
        return self.emulator.bot().token

    def _feed(self) -> ChangeFeed:
        if self.feed is None:
            raise RuntimeError("server not started")
        return self.feed

    async def wait_until(
        self,
        predicate: Callable[[], T],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Wait until `predicate()` is truthy (re-checked on every change); TimeoutError if not."""
        value = await self._feed().wait_for(predicate, timeout)
        if not value:
            raise TimeoutError(f"condition not met within {timeout}s")
        return value

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        contains: str | None = None,
        predicate: Callable[[StoredMessage], bool] | None = None,
        after: int = 0,
        from_bot: bool | None = True,
        bot_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> StoredMessage:
        """The first matching (not deleted) message of the chat; TimeoutError if none in time."""

        def match() -> StoredMessage | None:
            for message in self.emulator.messages(chat_id, bot_id=bot_id, after=after):
                if message.deleted or (from_bot is not None and message.from_bot != from_bot):
                    continue
                text = message.text or message.caption or ""
                if contains is not None and contains not in text:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        found = await self._feed().wait_for(match, timeout)
        if found is None:
            recent = [m.text or m.caption for m in self.emulator.messages(chat_id)[-5:]]
            raise TimeoutError(f"no matching message in chat {chat_id}; last: {recent!r}")
        return found

    async def wait_for_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackRecord:
        """The callback record once the bot answered it (answered stays False on timeout)."""
        record = self.emulator.callback(callback_query_id)
        await self._feed().wait_for(lambda: record.answered, timeout)
        return record

    async def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        *,
        forge: bool = False,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackRecord:
        """Press an inline button as the user and wait for the bot's answer."""
        record = self.emulator.press(user_id, message_id, data, text, forge=forge, chat_id=chat_id)
        return await self.wait_for_answer(record.id, timeout)
