"""Which message goes next: pure bookkeeping, no I/O, time passed in.

Each chat keeps one queue per lane, in submission order. Within a chat a more urgent lane
(a smaller number) overtakes a less urgent one: an offer must not wait behind a dealer's
25-page statement. Within a lane the order is kept, and an edit holds its lane until its
original is sent. The next message is the best (lane, seq) head among the chats that may
send now: their bucket has a token, no 429 holds them, and none of their messages is in
flight. One request in flight per chat keeps a chat's messages in order even when one is
retried; the chat limit (1/s) makes it free. Chats that must wait sit on a timer heap, so a
chat with a backlog costs nothing while it waits and a lane-0 message to another chat is
picked the moment the bot has a token.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bots.sender.limits import Bucket, SenderLimits, TokenBucket, chat_bucket


@dataclass(eq=False)
class Item:
    """What the scheduler knows of a queued message (its payload stays in the database)."""

    key: str
    chat_id: int
    lane: int
    seq: int
    method: str
    refers_to: str | None = None
    target_id: int | None = None  # the Telegram message an edit changes, once known
    attempts: int = 0
    not_before: float = 0.0
    entry: int = 0

    @property
    def waiting(self) -> bool:
        """An edit whose original is not sent yet."""
        return self.refers_to is not None and self.target_id is None


@dataclass(eq=False)
class _Chat:
    bucket: Bucket
    lanes: dict[int, list[tuple[int, str, int]]] = field(default_factory=dict)
    count: int = 0
    held_until: float = 0.0
    busy: bool = False
    version: int = 0


class Scheduler:
    """Queued messages in memory, and the choice of the next one to send."""

    def __init__(self, limits: SenderLimits, now: float) -> None:
        self.limits = limits
        self.items: dict[str, Item] = {}
        self.depth: Counter[int] = Counter()
        self._chats: dict[int, _Chat] = {}
        self._ready: list[tuple[int, int, str, int, int]] = []  # lane, seq, key, chat, version
        self._timers: list[tuple[float, int, int]] = []  # when, chat, version
        self._dependents: dict[str, set[str]] = {}  # original key -> edits waiting for it
        self._bot = TokenBucket(limits.bot_per_second, limits.bot_burst, now)
        self._held_until = 0.0
        self._entries = itertools.count(1)

    def add(self, items: Iterable[Item], now: float) -> None:
        """Queue messages (keys already known are ignored)."""
        touched: set[int] = set()
        for item in items:
            if item.key in self.items:
                continue
            item.entry = next(self._entries)
            self.items[item.key] = item
            self.depth[item.lane] += 1
            chat = self._chats.get(item.chat_id)
            if chat is None:
                chat = _Chat(chat_bucket(self.limits, item.chat_id, now))
                self._chats[item.chat_id] = chat
            heapq.heappush(chat.lanes.setdefault(item.lane, []), (item.seq, item.key, item.entry))
            chat.count += 1
            if item.waiting and item.refers_to is not None:
                self._dependents.setdefault(item.refers_to, set()).add(item.key)
            touched.add(item.chat_id)
        for chat_id in touched:
            self._refresh(chat_id, now)

    def take(self, now: float, below_lane: int | None = None) -> Item | None:
        """The next message to send now, its tokens spent and its chat marked busy.

        With ``below_lane``, only a message of a more urgent lane than that is taken.
        """
        if now < self._held_until or self._bot.wait(now) > 0:
            return None
        self._promote(now)
        while self._ready:
            if below_lane is not None and self._ready[0][0] >= below_lane:
                return None  # the heap is ordered by lane: nothing more urgent is ready
            _, _, key, chat_id, version = heapq.heappop(self._ready)
            chat = self._chats.get(chat_id)
            if chat is None or chat.version != version:
                continue
            item, _ = self._candidate(chat, now)
            if item is None or item.key != key or self._chat_wait(chat, now) > 0:
                self._refresh(chat_id, now)
                continue
            chat.busy = True
            chat.version += 1
            chat.bucket.take(now)
            self._bot.take(now)
            return item
        return None

    def next_lane(self, now: float) -> int | None:
        """The lane of the message ``take`` would return next (None: nothing is ready)."""
        self._promote(now)
        while self._ready and self._stale(self._ready[0][3], self._ready[0][4]):
            heapq.heappop(self._ready)
        return self._ready[0][0] if self._ready else None

    def next_wake(self, now: float) -> float | None:
        """Seconds until ``take`` may return something; None if only an event can help."""
        self._promote(now)
        while self._ready and self._stale(self._ready[0][3], self._ready[0][4]):
            heapq.heappop(self._ready)
        hold = self._held_until - now
        waits = []
        if self._ready:
            waits.append(max(self._bot.wait(now), hold, 0.0))
        if self._timers:
            waits.append(max(self._timers[0][0] - now, hold, 0.0))
        return min(waits) if waits else None

    def sent(self, key: str, message_id: int | None, now: float) -> None:
        """The message was sent: its chat moves on, edits waiting for it learn its id."""
        item = self._remove(key)
        if item is None:
            return
        for dependent in self._dependents.pop(key, set()):
            edit = self.items.get(dependent)
            if edit is not None:
                edit.target_id = message_id
                self._refresh(edit.chat_id, now)
        self._release(item.chat_id, now)

    def retry(self, key: str, not_before: float, now: float) -> None:
        """Send the message again, not before ``not_before``; its chat's later ones wait."""
        item = self.items.get(key)
        if item is not None:
            item.not_before = not_before
            self._release(item.chat_id, now)

    def hold(self, key: str, until: float, now: float, *, everyone: bool) -> None:
        """A 429: nothing more to this chat (or to anyone) before ``until``."""
        if everyone:
            self._held_until = max(self._held_until, until)
        item = self.items.get(key)
        if item is not None:
            chat = self._chats[item.chat_id]
            chat.held_until = max(chat.held_until, until)
            self._release(item.chat_id, now)

    def resolve(self, key: str, target_id: int, now: float) -> None:
        """An edit's original was found sent (by the loader): the edit may go."""
        item = self.items.get(key)
        if item is not None:
            item.target_id = target_id
            self._refresh(item.chat_id, now)

    def dependents(self, keys: Iterable[str]) -> list[str]:
        """Queued edits that can never be sent if ``keys`` are not (transitively)."""
        found: list[str] = []
        todo = list(keys)
        while todo:
            for dependent in self._dependents.get(todo.pop(), ()):
                if dependent in self.items and dependent not in found:
                    found.append(dependent)
                    todo.append(dependent)
        return found

    def drop(self, keys: Iterable[str], now: float) -> None:
        """Forget messages that will not be sent (failed, blocked, finished elsewhere)."""
        chats, dropped = set(), list(keys)
        for key in dropped:
            item = self._remove(key)
            if item is not None:
                chats.add(item.chat_id)
        for key in dropped:
            # Keep the edits' wait list if they are still queued: a forgotten original is
            # read again from the database and sent, and they go after it.
            if not any(d in self.items for d in self._dependents.get(key, ())):
                self._dependents.pop(key, None)
        for chat_id in chats:
            self._release(chat_id, now)

    def chat_keys(self, chat_id: int) -> list[str]:
        """Every queued message of a chat."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [k for lane in chat.lanes.values() for _, k, _ in lane if k in self.items]

    def sweep(self, now: float) -> None:
        """Forget empty chats whose bucket is full again (nothing to remember about them)."""
        for chat_id, chat in list(self._chats.items()):
            if not chat.count and not chat.busy and chat.bucket.idle(now):
                del self._chats[chat_id]

    # -- internals --------------------------------------------------------------------
    def _remove(self, key: str) -> Item | None:
        item = self.items.pop(key, None)
        if item is not None:
            self.depth[item.lane] -= 1
            self._chats[item.chat_id].count -= 1
        return item

    def _release(self, chat_id: int, now: float) -> None:
        chat = self._chats.get(chat_id)
        if chat is not None:
            chat.busy = False
            self._refresh(chat_id, now)

    def _stale(self, chat_id: int, version: int) -> bool:
        chat = self._chats.get(chat_id)
        return chat is None or chat.version != version

    def _chat_wait(self, chat: _Chat, now: float) -> float:
        return max(chat.bucket.wait(now), chat.held_until - now, 0.0)

    def _candidate(self, chat: _Chat, now: float) -> tuple[Item | None, float]:
        """The best sendable lane head, else None and when a timed-out head may go."""
        soonest = math.inf
        for lane in sorted(chat.lanes):
            heap = chat.lanes[lane]
            while heap and self._gone(heap[0]):
                heapq.heappop(heap)
            if not heap:
                del chat.lanes[lane]
                continue
            item = self.items[heap[0][1]]
            if item.waiting:
                continue  # FIFO: the lane waits with its head
            if item.not_before > now:
                soonest = min(soonest, item.not_before)
                continue
            return item, soonest
        return None, soonest

    def _gone(self, entry: tuple[int, str, int]) -> bool:
        item = self.items.get(entry[1])
        return item is None or item.entry != entry[2]

    def _refresh(self, chat_id: int, now: float) -> None:
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        chat.version += 1
        if chat.busy:
            return  # the outcome of the message in flight refreshes it
        item, soonest = self._candidate(chat, now)
        wait = self._chat_wait(chat, now)
        if item is not None and wait <= 0:
            heapq.heappush(self._ready, (item.lane, item.seq, item.key, chat_id, chat.version))
        elif item is not None:
            heapq.heappush(self._timers, (now + wait, chat_id, chat.version))
        elif soonest < math.inf:
            heapq.heappush(self._timers, (max(soonest, now + wait), chat_id, chat.version))

    def _promote(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _, chat_id, version = heapq.heappop(self._timers)
            if not self._stale(chat_id, version):
                self._refresh(chat_id, now)
