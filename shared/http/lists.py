"""Lists answer a page of JSON, or every row as CSV, streamed: one route serves both.

A list route declares ``list_params`` and gives ``answer_list`` a function that reads rows
from a cursor, and the sort key of a row. JSON answers a page and its ``next_cursor`` (null
when no row follows: one row more than the page is read to know); CSV (``?format=csv``,
or ``Accept: text/csv`` without ``format``) reads page after page from the cursor to the
end, writing each as it comes, so a month of orders goes to a spreadsheet without being
held in memory. With CSV, ``limit`` is the most rows in all (every row when absent).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from shared.http.params import Choice, Param, encode_cursor, page_params, query

CSV_PAGE = 1_000  # rows read per query while a CSV streams
# A spreadsheet runs a cell that starts with one of these as a formula: such cells get a
# leading apostrophe, so a shop's external id cannot become a formula in finance's sheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = TypeVar("Row", bound=BaseModel)
# Reads at most ``limit`` rows in the list's order from after a cursor's sort key (None: the
# first row on).
ReadRows = Callable[[list[str | int] | None, int], Awaitable[Sequence[Row]]]
SortKey = Callable[[Row], tuple[str | int, ...]]  # a row's place in the list, for its cursor


def list_params(high: int, default: int = 100) -> list[Param]:
    """A list's ``limit``, ``cursor`` and ``format`` parameters."""
    return [
        *page_params(high, default),
        Choice(
            "format",
            "json (one page; the default) or csv (every row from the cursor on, streamed; "
            "also asked for by Accept: text/csv)",
            choices=("json", "csv"),
        ),
    ]


def wants_csv(request: web.Request) -> bool:
    """True when the caller asked for CSV, by ``format`` or else by its Accept header."""
    chosen = query(request).get("format")
    if chosen is not None:
        return bool(chosen == "csv")
    return "text/csv" in request.headers.get("Accept", "")


async def answer_list(
    request: web.Request,
    name: str,
    columns: type[Row],
    read: ReadRows[Row],
    key: SortKey[Row],
    about: dict[str, Any] | None = None,
) -> web.StreamResponse:
    """The list as JSON (``{name: [...], "next_cursor": ...}``, after the fields ``about``
    the list) or as CSV named ``name``."""
    params = query(request)
    cursor, limit = params.get("cursor"), int(params["limit"])
    if not wants_csv(request):
        rows = list(await read(cursor, limit + 1))
        next_cursor = encode_cursor(*key(rows[limit - 1])) if len(rows) > limit else None
        body = (about or {}) | {
            name: [row.model_dump(mode="json") for row in rows[:limit]],
            "next_cursor": next_cursor,
        }
        return web.json_response(body)
    most = limit if "limit" in request.query else None
    return await _stream_csv(request, name, list(columns.model_fields), read, key, cursor, most)


async def no_rows(cursor: list[str | int] | None, limit: int) -> list[Any]:
    """The rows of an empty list."""
    return []


async def _stream_csv(
    request: web.Request,
    name: str,
    columns: list[str],
    read: ReadRows[Row],
    key: SortKey[Row],
    cursor: list[str | int] | None,
    most: int | None,
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")  # the byte-order mark tells spreadsheets the file is UTF-8
    writer.writerow(columns)
    sent = 0
    while most is None or sent < most:
        size = CSV_PAGE if most is None else min(CSV_PAGE, most - sent)
        rows = await read(cursor, size)
        for row in rows:
            values = row.model_dump(mode="json")
            writer.writerow([csv_cell(values.get(column)) for column in columns])
        sent += len(rows)
        await response.write(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < size:
            break
        cursor = list(key(rows[-1]))
    await response.write_eof()
    return response


def csv_cell(value: Any) -> str:
    """One value as a CSV cell: empty for null, JSON for lists and objects, and text that
    a spreadsheet would run as a formula defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
