"""Group commit: callers that write at the same moment share one transaction.

On SQLite every write transaction of the process queues on one lock, and a transaction
costs a few thread hops however little it writes. Sending thirty messages a second would
take sixty transactions a second from the bot's own handlers; batched, a burst of claims
(or of "sent" marks) costs one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class GroupWriter(Generic[In, Out]):
    """Collects values while a write is running, then writes them all in the next one."""

    def __init__(self, write: Callable[[Sequence[In]], Awaitable[Sequence[Out]]]) -> None:
        self._write = write
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, value: In) -> Out:
        """Write ``value`` with whatever else is waiting; returns its own result."""
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((value, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self._write([value for value, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
