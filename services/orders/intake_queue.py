"""The API's queue in front of intake: orders POSTed together are taken in together.

While one batch is being taken in (its reads, its commit), the POSTs that arrive wait here;
the next batch is all of them, up to ``most``. A quiet API takes each order at once, alone;
a burst is taken in batches as large as the burst makes them, with no timer and no delay
added. Each POST still gets its own answer: its order, or the error that changed nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from services.orders.domain.body import OrderBody
from services.orders.domain.intake import parse_order
from services.orders.intake import Answer, Received, receive_orders
from shared.runtime import Runtime

log = logging.getLogger(__name__)
MOST = 32  # orders in one batch: enough for a burst, few enough for a short transaction


class IntakeQueue:
    """One per API process."""

    def __init__(self, runtime: Runtime, most: int = MOST) -> None:
        self.runtime = runtime
        self.most = most
        self.batches = 0  # batches taken in so far (for tests and /metrics)
        self._waiting: list[tuple[OrderBody, str | None, asyncio.Future[Answer | Exception]]] = []
        self._taking: asyncio.Task[None] | None = None

    async def receive(self, data: Any, actor: str | None = None) -> Received:
        """Take one order in: as ``intake.receive_order``, in a batch with its neighbours;
        ``actor`` (the API key) is named in the order's timeline."""
        body = parse_order(data)  # a malformed order is refused at once, alone
        future: asyncio.Future[Answer | Exception] = asyncio.get_running_loop().create_future()
        self._waiting.append((body, actor, future))
        if self._taking is None or self._taking.done():
            self._taking = asyncio.create_task(self._take())
        answer = await future
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def _take(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
            self.batches += 1
            answers: list[Answer | Exception]
            try:
                bodies, actors = [b for b, _, _ in batch], [a for _, a, _ in batch]
                answers = list(await receive_orders(self.runtime, bodies, actors))
            except Exception as exc:  # the database or Redis failed: every POST of it hears
                log.warning("a batch of %d orders failed: %r", len(batch), exc)
                answers = [exc] * len(batch)
            for (_, _, future), answer in zip(batch, answers, strict=True):
                if not future.done():  # its client may have gone; the order stands
                    future.set_result(answer)

    async def close(self) -> None:
        """Finish the batch in hand (the API is stopping)."""
        if self._taking is not None:
            await asyncio.gather(self._taking, return_exceptions=True)
