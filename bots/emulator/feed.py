"""Async waiting on emulator changes (long polling, waiters) without sleep loops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChangeFeed:
    """Wakes every waiter whenever the emulator changes; waiters re-check their condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False

    def notify(self) -> None:
        """Signal a change."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    def close(self) -> None:
        """Release every waiter (server shutting down)."""
        self.closed = True
        self.notify()

    async def wait_for(self, predicate: Callable[[], T], seconds: float | None) -> T:
        """Wait until `predicate()` is truthy, the feed closes or `seconds` pass; return it."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while True:
            value = predicate()
            if value or self.closed:
                return value
            event = self._event
            if deadline is None:
                await event.wait()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return value
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake early if the feed closes."""
        await self.wait_for(lambda: False, seconds)
