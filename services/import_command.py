"""`baton import KIND FILE`: read, check every line, then apply all of it (or nothing)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.catalog import importer as catalog
from services.imports import Parsed, Progress, report
from services.runtime import Runtime, open_runtime
from services.stock.importer import apply_stock_rows, parse_stock_csv
from shared.settings import Settings


@dataclass(frozen=True)
class Kind:
    """How to read and apply one kind of file."""

    noun: str
    parse: Callable[[str], Parsed[Any]]
    apply: Callable[[Runtime, list[Any], Callable[[int], None]], Awaitable[tuple[int, int]]]


KINDS: dict[str, Kind] = {
    "products": Kind("products", catalog.parse_products, catalog.apply_products),
    "dealers": Kind("dealers", catalog.parse_dealers, catalog.apply_dealers),
    "stock": Kind("stock levels", parse_stock_csv, apply_stock_rows),
}


async def run_import(settings: Settings, kind_name: str, path: Path, skip_bad: bool) -> int:
    """Import one file; returns the exit status (1 when lines were bad and nothing applied)."""
    kind = KINDS[kind_name]
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"baton: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    parsed = kind.parse(text)
    if parsed.errors:
        bad_lines = len({error.line for error in parsed.errors})
        print(f"{path}: {bad_lines} bad line(s):", file=sys.stderr)
        print(report(parsed.errors), file=sys.stderr)
        if not skip_bad:
            print(
                f"Nothing was imported. Fix the lines above, or pass --skip-bad to import "
                f"the {len(parsed.rows)} good line(s).",
                file=sys.stderr,
            )
            return 1
    rows = [row for _, row in parsed.rows]
    async with open_runtime(settings) as runtime:
        created, replaced = await kind.apply(runtime, rows, Progress(f"{kind.noun}", len(rows)))
    bad = len({error.line for error in parsed.errors})
    skipped = f", {bad} bad line(s) skipped" if bad else ""
    print(f"Imported {len(rows)} {kind.noun}: {created} new, {replaced} replaced{skipped}.")
    return 0
