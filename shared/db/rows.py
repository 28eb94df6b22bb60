"""Writing changed columns of loaded ORM rows with Core UPDATEs, the rows kept in step.

A handler that changes a row it loaded (locked) would leave it dirty for the session to
flush; in a batch transaction the flush comes before the next message's first read, and
costs more than the statement. Here the new values go out as prepared UPDATEs (one per set
of columns, with a parameter set a row) and each object takes them as if just read
(``set_committed_value``), so the session has nothing left to flush for it.

``StagedRows`` holds the changes back until ``write``: a row changed twice (an offer
reserved, then offered) is written once, and a batch's rows in one statement.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

Change = tuple[Any, Mapping[str, object]]  # a loaded row and its new column values


class StagedRows:
    """Changes to loaded rows of one table, in the objects at once and in the database
    at ``write``. Until then a query that reads the rows from the database, not through
    the session's objects, sees them as they were."""

    def __init__(self, table: Table, key: tuple[str, ...]) -> None:
        """Rows of ``table``, found by their ``key`` columns (which do not change)."""
        self.table, self.key = table, key
        self._changes: dict[int, tuple[Any, dict[str, object]]] = {}

    def stage(self, row: Any, values: Mapping[str, object]) -> None:
        """Give ``row`` its new ``values`` now; they are written with the row's others."""
        for column, value in values.items():
            set_committed_value(row, column, value)
        _, pending = self._changes.setdefault(id(row), (row, {}))
        pending.update(values)

    async def write(self, session: AsyncSession) -> None:
        """One UPDATE for each set of columns changed, with a parameter set a row."""
        by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for row, values in self._changes.values():
            keys = {f"key_{name}": getattr(row, name) for name in self.key}
            by_columns.setdefault(tuple(values), []).append(keys | values)
        self._changes.clear()
        if not by_columns:
            return
        connection = await session.connection()
        for columns, parameters in by_columns.items():
            await connection.execute(_update_of(self.table, self.key, columns), parameters)


async def update_rows(
    session: AsyncSession, table: Table, key: tuple[str, ...], changes: Sequence[Change]
) -> None:
    """Write each row's new values at once."""
    staged = StagedRows(table, key)
    for row, values in changes:
        staged.stage(row, values)
    await staged.write(session)


@functools.cache
def _update_of(table: Table, key: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """UPDATE ``table`` SET ``columns`` WHERE the ``key`` columns match: built once."""
    return (
        update(table)
        .where(*(table.c[name] == bindparam(f"key_{name}") for name in key))
        .values({name: bindparam(name) for name in columns})
    )
