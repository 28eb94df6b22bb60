"""Fault injection (scheduled 429/5xx/delays, blocked chats) and call statistics."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FaultKind = Literal["429", "5xx", "delay", "blocked"]
FAULT_KINDS: tuple[str, ...] = ("429", "5xx", "delay", "blocked")

# Polling is excluded from catch-all faults so a background poller does not eat them.
UNTARGETED_EXEMPT = frozenset({"getupdates"})


@dataclass
class Fault:
    """The next `count` matching calls answer 429 / 5xx, or are delayed by `delay` seconds.

    Kind "blocked" is not queued: it blocks `chat_id` until unblocked.
    """

    kind: FaultKind
    count: int = 1
    method: str | None = None
    chat_id: int | None = None
    retry_after: int = 1
    status: int = 500
    delay: float = 1.0
    id: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Whether a call of `method` for `chat_id` is hit by this fault."""
        if self.count <= 0:
            return False
        if self.method is None:
            if method.lower() in UNTARGETED_EXEMPT:
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def to_view(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


class FaultBook:
    """Pending faults in the order they were injected, plus the set of blocked chats."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.blocked: set[tuple[int, int]] = set()  # (bot_id, chat_id)
        self._next_id = 1

    def add(self, fault: Fault) -> Fault:
        """Schedule a fault."""
        if fault.kind not in ("429", "5xx", "delay"):
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        if fault.kind == "5xx" and not 500 <= fault.status <= 599:
            raise ValueError("status must be 5xx")
        fault.id = self._next_id
        self._next_id += 1
        self.faults.append(fault)
        return fault

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        """Consume and return the first fault matching this call."""
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop all pending faults and unblock every chat."""
        self.faults.clear()
        self.blocked.clear()


@dataclass
class Stats:
    """Counters tests assert on (e.g. 'zero 429s')."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    count_429: int = 0
    count_429_by_chat: Counter[int] = field(default_factory=Counter)
    limited_429: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    updates: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0

    def record_429(self, chat_id: int | None, injected: bool) -> None:
        """Count one 429 answer."""
        self.count_429 += 1
        if chat_id is not None:
            self.count_429_by_chat[chat_id] += 1
        if not injected:
            self.limited_429 += 1

    def to_view(self) -> dict[str, Any]:
        """JSON view (chat ids become string keys)."""
        return {
            "calls": dict(self.calls),
            "errors": {str(k): v for k, v in self.errors.items()},
            "count_429": self.count_429,
            "count_429_by_chat": {str(k): v for k, v in self.count_429_by_chat.items()},
            "limited_429": self.limited_429,
            "injected": dict(self.injected),
            "updates": self.updates,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
        }
