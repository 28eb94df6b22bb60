"""Entries whose handler failed, each waiting in this process for its next delivery."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(order=True)
class Retry:
    """One entry's next try, due on the event loop's clock."""

    due: float
    stream: bytes = field(compare=False)
    entry_id: bytes = field(compare=False)
    deliveries: int = field(compare=False)


class Retries:
    """A back-off queue: the delay doubles with each delivery, up to ``cap_ms``."""

    def __init__(self, base_ms: int, cap_ms: int) -> None:
        self.base_ms, self.cap_ms = base_ms, cap_ms
        self._heap: list[Retry] = []
        self._ids: set[bytes] = set()

    def __contains__(self, entry_id: bytes) -> bool:
        return entry_id in self._ids

    def schedule(self, stream: bytes, entry_id: bytes, deliveries: int) -> None:
        """Try the entry again after its back-off (it has been delivered ``deliveries`` times)."""
        delay_ms = min(self.base_ms * 2 ** (deliveries - 1), self.cap_ms)
        due = asyncio.get_running_loop().time() + delay_ms / 1000
        self.put_back(Retry(due, stream, entry_id, deliveries))

    def put_back(self, retry: Retry) -> None:
        """Queue ``retry`` (again) at its due time."""
        heapq.heappush(self._heap, retry)
        self._ids.add(retry.entry_id)

    def next_due(self) -> float | None:
        """When the earliest retry is due, or None when none waits."""
        return self._heap[0].due if self._heap else None

    def due(self, now: float) -> Iterator[Retry]:
        """Take each retry due by ``now``, earliest first."""
        while self._heap and self._heap[0].due <= now:
            retry = heapq.heappop(self._heap)
            self._ids.discard(retry.entry_id)
            yield retry
