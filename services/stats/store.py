"""Writing the statistics: each run of events' deltas added in one statement a table.

An upsert adds to the counts in the database (``count = count + delta``), never a value
read before, so two replicas adding to the same hour never lose each other's counts; the
keys go in sorted order, so two batches lock shared rows in one order and cannot wait in a
circle.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.stats.counts import Deltas
from services.stats.models import DEALER_COUNTERS, DealerDay, OrderDay, OrderHour
from shared.db.uow import UnitOfWork

_HOURS: Table = OrderHour.__table__  # type: ignore[attr-defined]
_DAYS: Table = DealerDay.__table__  # type: ignore[attr-defined]
_DAYS_OF_ORDERS: Table = OrderDay.__table__  # type: ignore[attr-defined]


@functools.cache
def _adding(table: Table, dialect: str, keys: tuple[str, ...], counters: tuple[str, ...]) -> Any:
    """INSERT the row, or add its counters to the row of the same key: built once."""
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return upsert.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + upsert.excluded[name] for name in counters},
    )


async def apply(uow: UnitOfWork, deltas: Deltas) -> None:
    """Add ``deltas`` to the tables in the unit of work's transaction."""
    connection = await uow.session.connection()
    dialect = connection.dialect.name
    for table, counts, keys in (
        (_HOURS, deltas.hours, ("hour", "channel", "status", "currency")),
        (_DAYS_OF_ORDERS, deltas.days, ("day", "channel", "region", "status", "currency")),
    ):
        rows = [
            dict(zip(keys, key, strict=True)) | {"orders": count, "amount": amount}
            for key, (count, amount) in sorted(counts.items())
            if count or amount
        ]
        if rows:
            await connection.execute(_adding(table, dialect, keys, ("orders", "amount")), rows)
    if deltas.dealers:
        days = [
            {"dealer_id": dealer_id, "day": day} | {c: counts[c] for c in DEALER_COUNTERS}
            for (dealer_id, day), counts in sorted(deltas.dealers.items())
        ]
        statement = _adding(_DAYS, dialect, ("dealer_id", "day"), DEALER_COUNTERS)
        await connection.execute(statement, days)
