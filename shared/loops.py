"""Background loops that poll for work, back off on failure and stop promptly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def poll(
    stop: asyncio.Event,
    step: Callable[[], Awaitable[int]],
    *,
    batch: int,
    every_ms: int,
    wake: asyncio.Event | None = None,
    settle_ms: float = 0,
) -> None:
    """Call ``step`` until ``stop``: again at once after a full batch, else after ``every_ms``.

    ``step`` returns how much work it did. ``wake`` cuts the wait short (a local commit),
    ``settle_ms`` after it is set: the commits of those milliseconds then make one batch,
    where a step for each would cost a transaction each. An exception is logged and
    retried with back-off, so a loop never dies of one.
    """
    failures = 0
    while not stop.is_set():
        if wake is not None:
            wake.clear()  # before the step, so a commit during it still wakes the next sleep
        try:
            done = await step()
            failures = 0
        except Exception:
            failures += 1
            log.exception("%s failed; retrying", getattr(step, "__qualname__", step))
            await sleep(stop, None, min(5.0, 0.1 * 2**failures))
            continue
        if done < batch:
            await sleep(stop, wake, every_ms / 1000)
            if settle_ms and wake is not None and wake.is_set() and not stop.is_set():
                await asyncio.sleep(settle_ms / 1000)


async def sleep(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` or ``wake`` is set."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
