"""Query parameters, declared once per route: the same object parses them and documents them.

A route lists its parameters (``Api.route(..., query=[...])``); before the handler runs, the
query is parsed whole (every bad or unknown parameter named in one 422) and the values are
left on the request for ``query(request)``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from aiohttp import web

from shared.http.problems import ApiError
from shared.times import RANGE, parse_day_or_instant

QUERY: web.RequestKey[dict[str, Any]] = web.RequestKey("query", dict)
_Key = TypeVar("_Key", int, str)
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also takes "²" and "٣"


class BadParam(ValueError):
    """A query parameter's value that cannot be read: the message says what to send."""


@dataclass(frozen=True)
class Param:
    """A query parameter: its name, what it means, and its value when absent."""

    name: str
    description: str
    default: Any = None

    def parse(self, raw: str) -> Any:
        """The value of ``raw``; BadParam if it is not one."""
        return raw

    def schema(self) -> dict[str, Any]:
        """Its JSON schema for OpenAPI."""
        return {"type": "string"}

    def document(self) -> dict[str, Any]:
        """Its OpenAPI parameter object."""
        return {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "schema": self.schema(),
        }


@dataclass(frozen=True)
class Text(Param):
    """Free text of bounded length, surrounding spaces dropped; empty means absent."""

    max_length: int = 64

    def parse(self, raw: str) -> str | None:
        """The text, or the default when blank."""
        text = raw.strip()
        if len(text) > self.max_length:
            raise BadParam(f"at most {self.max_length} characters")
        return text or self.default

    def schema(self) -> dict[str, Any]:
        """A string of bounded length."""
        return {"type": "string", "maxLength": self.max_length}


@dataclass(frozen=True)
class Choice(Param):
    """One of a few words."""

    choices: tuple[str, ...] = ()

    def parse(self, raw: str) -> str:
        """The word, if it is one of the choices."""
        if raw not in self.choices:
            raise BadParam(f"one of {', '.join(self.choices)}")
        return raw

    def schema(self) -> dict[str, Any]:
        """An enum."""
        return {"type": "string", "enum": list(self.choices)}


@dataclass(frozen=True)
class Flag(Param):
    """Yes or no: ``true`` or ``false``."""

    def parse(self, raw: str) -> bool:
        """True for ``true``, False for ``false``."""
        if raw not in ("true", "false"):
            raise BadParam("true or false")
        return raw == "true"

    def schema(self) -> dict[str, Any]:
        """A boolean."""
        return {"type": "boolean"}


@dataclass(frozen=True)
class Int(Param):
    """A whole number in ``[low, high]``, written in ASCII digits only."""

    low: int = 0
    high: int = 1_000_000

    def parse(self, raw: str) -> int:
        """The number, if ``raw`` is ASCII digits within the bounds."""
        if not _DIGITS.fullmatch(raw) or not self.low <= int(raw) <= self.high:
            raise BadParam(f"a whole number from {self.low} to {self.high}")
        return int(raw)

    def schema(self) -> dict[str, Any]:
        """A bounded integer."""
        schema = {"type": "integer", "minimum": self.low, "maximum": self.high}
        return schema | ({"default": self.default} if self.default is not None else {})


@dataclass(frozen=True)
class DayOrTime(Param):
    """A date (``2026-01-31``) or a time with its offset, within Baton's years."""

    def parse(self, raw: str) -> date | datetime:
        """A ``date``, or an aware ``datetime`` in UTC."""
        try:
            return parse_day_or_instant(raw)
        except ValueError as exc:
            raise BadParam(str(exc)) from None

    def schema(self) -> dict[str, Any]:
        """A date or a date-time."""
        return {
            "oneOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
            ],
            "description": f"{RANGE}",
        }


@dataclass(frozen=True)
class Cursor(Param):
    """Where the next page of a list starts: the ``next_cursor`` the last page answered.

    Opaque to clients (base64url of the sort key of the last item given), so a list can
    change how it sorts without breaking them.
    """

    def parse(self, raw: str) -> list[str | int]:
        """The sort key the cursor holds."""
        try:
            values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (ValueError, TypeError):
            values = None
        if (
            len(raw) > 300
            or not isinstance(values, list)
            or not 1 <= len(values) <= 4
            or not all(isinstance(v, str | int) for v in values)
        ):
            raise BadParam("not a cursor this list gave; start again without it")
        return values

    def schema(self) -> dict[str, Any]:
        """An opaque string."""
        return {"type": "string", "maxLength": 300}


def encode_cursor(*values: str | int) -> str:
    """The cursor of a sort key (see ``Cursor``)."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def time_and_id(cursor: list[str | int], what: str) -> tuple[datetime, str]:
    """The (time, id) sort key of a list sorted by time then id; a 422 if it is not one."""
    if len(cursor) == 2 and all(isinstance(v, str) for v in cursor):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(str(cursor[0])), str(cursor[1])
    raise ApiError(422, "invalid", f"not a cursor of {what}", field="cursor")


def one_key(cursor: list[str | int] | None, kind: type[_Key], what: str) -> _Key | None:
    """The sort key of a list sorted by one ``kind`` column (None: the first page); a 422
    if the cursor holds anything else."""
    if not cursor:
        return None
    if len(cursor) == 1 and type(cursor[0]) is kind:
        return cursor[0]
    raise ApiError(422, "invalid", f"not a cursor of {what}", field="cursor")


def page_params(high: int, default: int = 100) -> list[Param]:
    """A list's ``limit`` (1 to ``high``) and ``cursor`` parameters."""
    return [
        Int("limit", f"how many at most (1 to {high})", default=default, low=1, high=high),
        Cursor("cursor", "the next_cursor of the page before; absent: the first page"),
    ]


def parse_query(request: web.Request, params: Sequence[Param]) -> dict[str, Any]:
    """Every declared parameter's value (its default when absent); a 422 names each bad one."""
    known = {p.name: p for p in params}
    problems: list[dict[str, str]] = []
    for name in dict.fromkeys(request.query):
        if name not in known:
            takes = ", ".join(known) or "none"
            problems.append({"field": name, "message": f"unknown query parameter (takes: {takes})"})
        elif len(request.query.getall(name)) > 1:
            problems.append({"field": name, "message": "give it once"})
    values: dict[str, Any] = {}
    for param in params:
        raw = request.query.get(param.name, "")
        try:  # ?from=&to= is what a form sends for fields left empty: absent
            values[param.name] = param.parse(raw) if raw else param.default
        except BadParam as exc:
            problems.append({"field": param.name, "message": str(exc)})
    if problems:
        raise ApiError(422, "invalid", "some query parameters are invalid", fields=problems)
    return values


def query(request: web.Request) -> dict[str, Any]:
    """The parsed query parameters of this request (as its route declared them)."""
    parsed: dict[str, Any] = request.get(QUERY, {})  # aiohttp types a request's values as Any
    return parsed
