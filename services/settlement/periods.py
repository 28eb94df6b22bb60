"""Calendar periods in the settlement time zone (pure): ISO weeks, date ranges, today/week/month.

A period runs from local midnight of its first day to local midnight after its last day,
held as UTC instants; ``[starts_at, ends_at)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
MAX_DAYS = 366
RECENT = ("today", "week", "month")


class PeriodError(ValueError):
    """A period Baton cannot read; the message shows how to write one."""


@dataclass(frozen=True)
class Period:
    """A named stretch of whole local days of ``zone``."""

    label: str
    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime
    zone: ZoneInfo


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def days(first: date, last: date, tz: ZoneInfo, label: str | None = None) -> Period:
    """The period of the local days ``first`` to ``last``, both included."""
    if last < first:
        raise PeriodError(f"the period ends ({last}) before it starts ({first})")
    if (last - first).days >= MAX_DAYS:
        raise PeriodError(f"a period is at most {MAX_DAYS} days")
    name = label or f"{first.isoformat()}..{last.isoformat()}"
    end = local_midnight(last + timedelta(days=1), tz)
    return Period(name, first, last, local_midnight(first, tz), end, tz)


def iso_week(year: int, week: int, tz: ZoneInfo) -> Period:
    """ISO week ``week`` of ``year`` (Monday to Sunday)."""
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"{year} has no ISO week {week}") from None
    return days(monday, monday + timedelta(days=6), tz, f"{year}-W{week:02d}")


def parse_period(text: str, tz: ZoneInfo) -> Period:
    """``2026-W03`` (an ISO week) or ``2026-01-01..2026-01-31`` (days, both included)."""
    text = text.strip()
    week = _WEEK.match(text)
    if week:
        return iso_week(int(week.group(1)), int(week.group(2)), tz)
    span = _RANGE.match(text)
    if span:
        try:
            first, last = date.fromisoformat(span.group(1)), date.fromisoformat(span.group(2))
        except ValueError as exc:
            raise PeriodError(f"{text!r}: {exc}") from None
        return days(first, last, tz)
    raise PeriodError(
        f"{text!r} is not a period: write an ISO week such as 2026-W03, "
        "or days such as 2026-01-01..2026-01-31"
    )


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    """The local date of an instant."""
    return instant.astimezone(tz).date()


def previous_week(now: datetime, tz: ZoneInfo) -> Period:
    """The last ISO week that has ended by ``now`` in ``tz``."""
    year, week, _ = (local_day(now, tz) - timedelta(days=7)).isocalendar()
    return iso_week(year, week, tz)


def recent(word: str, now: datetime, tz: ZoneInfo) -> Period:
    """``today``, this ``week`` (from Monday) or this ``month``, up to ``now``'s local day."""
    today = local_day(now, tz)
    if word == "today":
        first = today
    elif word == "week":
        first = today - timedelta(days=today.weekday())
    elif word == "month":
        first = today.replace(day=1)
    else:
        raise PeriodError(f"{word!r}: say one of {', '.join(RECENT)}")
    return days(first, today, tz, word)
