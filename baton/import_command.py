"""`baton import KIND FILE`: read, check every line, then apply all of it (or nothing)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.runtime import open_runtime
from services.catalog import importer as catalog
from services.stock.importer import apply_stock_rows, parse_stock_csv, unknown_references
from shared.imports import LineError, Parsed, Progress, report
from shared.runtime import Runtime
from shared.settings import Settings

Check = Callable[[Runtime, list[tuple[int, Any]]], Awaitable[list[LineError]]]


async def _nothing_to_check(_runtime: Runtime, _rows: list[tuple[int, Any]]) -> list[LineError]:
    return []


@dataclass(frozen=True)
class Kind:
    """How to read, check against what Baton knows, and apply one kind of file."""

    noun: str
    parse: Callable[[str], Parsed[Any]]
    apply: Callable[[Runtime, list[Any], Callable[[int], None]], Awaitable[tuple[int, int]]]
    check: Check = _nothing_to_check


KINDS: dict[str, Kind] = {
    "products": Kind("products", catalog.parse_products, catalog.apply_products),
    "dealers": Kind("dealers", catalog.parse_dealers, catalog.apply_dealers),
    "stock": Kind("stock levels", parse_stock_csv, apply_stock_rows, unknown_references),
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
    async with open_runtime(settings) as runtime:
        wrong = await kind.check(runtime, parsed.rows)
        errors = sorted(parsed.errors + wrong, key=lambda error: error.line)
        if errors:
            bad_lines = len({error.line for error in errors})
            print(f"{path}: {bad_lines} bad line(s):", file=sys.stderr)
            print(report(errors), file=sys.stderr)
        wrong_lines = {error.line for error in wrong}
        rows = [row for line, row in parsed.rows if line not in wrong_lines]
        if errors and not skip_bad:
            print(
                f"Nothing was imported. Fix the lines above, or pass --skip-bad to import "
                f"the {len(rows)} good line(s).",
                file=sys.stderr,
            )
            return 1
        created, replaced = await kind.apply(runtime, rows, Progress(f"{kind.noun}", len(rows)))
    bad = len({error.line for error in errors})
    skipped = f", {bad} bad line(s) skipped" if bad else ""
    print(f"Imported {len(rows)} {kind.noun}: {created} new, {replaced} replaced{skipped}.")
    return 0
