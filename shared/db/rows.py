"""Writing changed columns of loaded ORM rows with Core UPDATEs, the rows kept in step.

A handler that changes a row it loaded (locked) would leave it dirty for the session to
flush; in a batch transaction the flush comes before the next message's first read, and
costs more than the statement. Here the new values go out as prepared UPDATEs (one per set
of columns, with a parameter set a row) and each object takes them as if just read
(``set_committed_value``), so the session has nothing left to flush for it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

Change = tuple[Any, Mapping[str, object]]  # a loaded row and its new column values


async def update_rows(
    session: AsyncSession, table: Table, key: tuple[str, ...], changes: Sequence[Change]
) -> None:
    """Write each row's new values, found by its ``key`` columns (which do not change)."""
    by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for row, values in changes:
        keys = {f"key_{name}": getattr(row, name) for name in key}
        by_columns.setdefault(tuple(values), []).append(keys | dict(values))
        for column, value in values.items():
            set_committed_value(row, column, value)
    if not by_columns:
        return
    connection = await session.connection()
    for columns, parameters in by_columns.items():
        await connection.execute(_update_of(table, key, columns), parameters)


@functools.cache
def _update_of(table: Table, key: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """UPDATE ``table`` SET ``columns`` WHERE the ``key`` columns match: built once."""
    return (
        update(table)
        .where(*(table.c[name] == bindparam(f"key_{name}") for name in key))
        .values({name: bindparam(name) for name in columns})
    )
