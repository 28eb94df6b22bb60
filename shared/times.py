"""Dates and times as input: ISO 8601, within the years Baton can hold (2000 to 2999).

Every time or date a body or a query parameter carries is read here. Why a range: Python's
datetime ends at year 1 and 9999, so a time near either end overflows when it is moved to
UTC or has a period added (``9999-12-31T23:59:59-12:00``, ``to=9999-12-31``); Baton records
nothing before 2000, and a year past 2999 is a typo. The range leaves thousands of years of
margin for any offset, window or period arithmetic, in Python, SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

FIRST_YEAR, LAST_YEAR = 2000, 2999
RANGE = f"between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"
TIME_EXAMPLE = "2026-07-01T00:00 (HQ time) or 2026-07-01T00:00+08:00"


class TimeError(ValueError):
    """A date or time Baton cannot take: the message says what is wrong."""


def check_day(day: date) -> date:
    """``day`` (or a datetime, by its date as written) if its year is in Baton's range."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise TimeError(f"{day.isoformat()} is out of range; give a date {RANGE}")
    return day


def parse_time(value: object, zone: tzinfo) -> datetime:
    """An ISO 8601 time (or date) as UTC; without an offset it is a time in ``zone``."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise TimeError(f"an ISO 8601 time such as {TIME_EXAMPLE}") from None
    else:
        raise TimeError("an ISO 8601 time as a string")
    check_day(moment)  # before any conversion, which is what would overflow
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_day_or_instant(text: str) -> date | datetime:
    """A date (``2026-01-31``) or a time with its offset (``2026-01-31T08:00:00+08:00``)."""
    text = text.strip()
    try:
        return check_day(date.fromisoformat(text))
    except ValueError as exc:
        if isinstance(exc, TimeError):
            raise
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise TimeError("a date (2026-01-31) or a time with its offset (2026-01-31T08:00:00+08:00)")
    check_day(instant)
    return instant.astimezone(UTC)


def range_bound(given: date | datetime, zone: tzinfo, *, end: bool) -> datetime:
    """One end of a range a query gives: a date is a whole day in ``zone`` (an ``end``
    includes it, so it bounds at the next midnight); a time is taken as it is."""
    if isinstance(given, datetime):
        return given
    day = given + timedelta(days=1) if end else given
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
