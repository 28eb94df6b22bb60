"""`baton import stock FILE`: dealers' counts from CSV (`dealer_id,sku,on_hand`).

Each line is a count, applied like a dealer's report: it replaces on-hand and keeps
reservations, ending the newest that no longer fit. Applying a file twice is harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from services.catalog.public import CatalogDirectory
from services.stock.handlers import apply_report
from shared.db.uow import unit_of_work
from shared.imports import LineError, Parsed, csv_records
from shared.runtime import Runtime

CHUNK = 500
COLUMNS = {"dealer_id", "sku", "on_hand"}
MAX_ON_HAND = 100_000_000  # as StockCount on the bus
MAX_ID = 64
WHOLE = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class StockRow:
    """One dealer's count of one SKU."""

    dealer_id: str
    sku: str
    on_hand: int


def parse_stock_csv(text: str) -> Parsed[StockRow]:
    """The rows of a stock file, and an error naming the line of each bad one."""
    records, errors = csv_records(text, COLUMNS)
    rows: list[tuple[int, StockRow]] = []
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        if isinstance(record, LineError):
            errors.append(record)
            continue
        line = int(record["__line__"])
        problem = _problem(record)
        if problem is not None:
            errors.append(LineError(line, problem))
            continue
        key = (record["dealer_id"], record["sku"])
        if key in seen:
            errors.append(
                LineError(line, f"dealer {key[0]!r} sku {key[1]!r} is also on line {seen[key]}")
            )
            continue
        seen[key] = line
        rows.append((line, StockRow(key[0], key[1], int(record["on_hand"]))))
    return Parsed(rows, errors)


def _problem(record: dict[str, str]) -> str | None:
    for name in ("dealer_id", "sku"):
        if not record[name]:
            return f"{name} is empty"
        if len(record[name]) > MAX_ID:
            return f"{name} is longer than {MAX_ID} characters"
    on_hand = record["on_hand"]
    if not on_hand:
        return "on_hand is empty"
    if on_hand.startswith("-") and WHOLE.fullmatch(on_hand[1:]):
        return f"on_hand {on_hand} is negative"
    if not WHOLE.fullmatch(on_hand):
        return f"on_hand {on_hand!r} is not a whole number"
    if int(on_hand) > MAX_ON_HAND:
        return f"on_hand {on_hand} is over {MAX_ON_HAND:,}"
    return None


async def unknown_references(runtime: Runtime, rows: list[tuple[int, StockRow]]) -> list[LineError]:
    """A line error for each row naming a dealer or SKU that the catalog does not know.

    The same check the HTTP API makes before it takes a count, so a file cannot put
    counts for a dealer or product HQ never registered into dealers' /stock.
    """
    directory = CatalogDirectory(runtime.db)
    dealers = await directory.known_dealers(row.dealer_id for _, row in rows)
    skus = await directory.known_products(row.sku for _, row in rows)
    errors = []
    for line, row in rows:
        if row.dealer_id not in dealers:
            errors.append(LineError(line, f"no dealer {row.dealer_id!r} (import dealers first)"))
        elif row.sku not in skus:
            errors.append(LineError(line, f"no product {row.sku!r} in the catalog"))
    return errors


async def apply_stock_rows(
    runtime: Runtime, rows: list[StockRow], progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Apply counts in chunks, one unit of work each; returns (new levels, updated levels)."""
    created = 0
    for start in range(0, len(rows), CHUNK):
        # By dealer, so each dealer's levels are locked once and in the same order anywhere.
        chunk = sorted(rows[start : start + CHUNK], key=lambda row: row.dealer_id)
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            for dealer_id, group in groupby(chunk, key=lambda row: row.dealer_id):
                counts = {row.sku: row.on_hand for row in group}
                levels = await apply_report(uow, runtime.redis, dealer_id, counts, source="import")
                created += sum(level.version == 1 for level in levels.values())  # new this time
        if progress is not None:
            progress(min(start + CHUNK, len(rows)))
    return created, len(rows) - created
