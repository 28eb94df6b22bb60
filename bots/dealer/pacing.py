"""Every Bot API call the dealer bot makes waits out Telegram's 429 and then goes through.

Replies, edits and button answers are made at once, while the user looks at the chat, not
queued behind pushed messages (those go through ``bots.sender``). A chat takes about one
message a second; a user tapping faster gets a 429 with the seconds to wait. This rate
limiter sits under python-telegram-bot, so no handler can forget it: a call to a chat
waits for the calls to that chat before it (in the order they were made, so replies
arrive in order and do not retry all at once), and on a 429 it waits the ``retry_after``
Telegram asks for and tries again, for as long as ``patience`` allows.

The chat sender paces itself and must see a 429 to hold its chat back: its calls carry
``SELF_PACED`` and pass straight through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bots.sender.calls import SELF_PACED, retry_seconds

log = logging.getLogger(__name__)

PATIENCE_S = 120.0  # longer than any per-chat wait; a bot-wide flood wait may be longer
Answer = bool | dict[str, Any] | list[dict[str, Any]]  # what a Bot API call gives back
Call = Callable[..., Coroutine[Any, Any, Answer]]


class PatientCalls(BaseRateLimiter[str]):
    """One call at a time per chat; a 429 is waited out and the call made again."""

    def __init__(self, patience: float = PATIENCE_S) -> None:
        self.patience = patience
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Call,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> Answer:
        """Make the call, after the earlier calls to its chat, waiting out any 429."""
        if rate_limit_args == SELF_PACED:
            return await callback(*args, **kwargs)
        chat = data.get("chat_id")
        if chat is None:  # answerCallbackQuery, getFile…: no chat's limit to queue on
            return await self._patiently(callback, args, kwargs, endpoint)
        self._waiting[chat] = self._waiting.get(chat, 0) + 1
        lock = self._locks.setdefault(chat, asyncio.Lock())
        try:
            async with lock:
                return await self._patiently(callback, args, kwargs, endpoint)
        finally:
            self._waiting[chat] -= 1
            if not self._waiting[chat]:  # nobody else queued: forget the chat
                del self._waiting[chat], self._locks[chat]

    async def _patiently(
        self, callback: Call, args: Any, kwargs: dict[str, Any], endpoint: str
    ) -> Answer:
        waited = 0.0
        while True:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_seconds(exc)
                if waited + delay > self.patience:
                    raise
                log.info("%s: Telegram asks to wait %.0f s; waiting", endpoint, delay)
                waited += delay
                await asyncio.sleep(delay)
