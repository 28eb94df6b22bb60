"""Time is injected: services ask a clock, tests move one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")

    def now(self) -> datetime:
        """The time the test set."""
        return self._now

    def advance(self, **delta: float) -> datetime:
        """Move time forward by a ``timedelta(**delta)`` and return the new time."""
        self._now += timedelta(**delta)
        return self._now


def utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused, its zone being unknown."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: Baton works only with timezone-aware times")
    return value.astimezone(UTC)
