"""Parsing what dealers type on a phone: any text gives a result or an error to show, never a crash.

Phones type full-width digits and punctuation (`ＰＸ－１　５`), so text is NFKC-folded first.
Errors are message-catalog keys with values, so the reply is in the user's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from shared.chat.i18n import Problem

SKU = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
REF = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
WHOLE = re.compile(r"^[+-]?[0-9]+$")
MAX_QTY = 1_000_000
MAX_LINES = 200


@dataclass(frozen=True)
class StockReport:
    """Counts to report, or the problems that stop the whole message."""

    counts: dict[str, int]
    problems: list[Problem]


def fold(text: str) -> str:
    """Full-width and other compatibility forms to plain ASCII-ish text."""
    return unicodedata.normalize("NFKC", text)


def parse_stock_lines(text: str, first: int = 1) -> StockReport:
    """``SKU QTY`` per line (spaces, ``:`` ``=`` or ``,`` between); all lines or none.

    Lines are numbered as the dealer sees them, the first being ``first`` (the line the
    command is on), blank lines included.
    """
    rows: list[tuple[int, str, str]] = []
    problems: list[Problem] = []
    numbered = [(n, ln.strip()) for n, ln in enumerate(fold(text).splitlines(), first)]
    lines = [(n, ln) for n, ln in numbered if ln]
    if not lines:
        return StockReport({}, [Problem("stock.empty")])
    if len(lines) > MAX_LINES:
        return StockReport({}, [Problem("stock.too_many", {"max": MAX_LINES})])
    for number, line in lines:
        parts = re.split(r"[\s:=,]+", line)
        if len(parts) == 2:
            rows.append((number, parts[0], parts[1]))
        else:
            problems.append(Problem("stock.bad_line", {"line": number, "text": line[:40]}))
    checked = check_counts(rows)
    problems = sorted(problems + checked.problems, key=lambda p: int(p.values.get("line", 0)))
    return StockReport({} if problems else checked.counts, problems)


def check_counts(rows: Iterable[tuple[int, str, str]]) -> StockReport:
    """Each ``(line, SKU, count)`` checked, typed or from a file: all counts, or none."""
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    for number, raw_sku, raw_qty in rows:
        sku, qty = fold(raw_sku).strip(), fold(raw_qty).strip()
        if not SKU.match(sku):
            key = "stock.bad_sku" if sku else "stock.no_sku"
            problems.append(Problem(key, {"line": number, "sku": sku[:40]}))
        elif (problem := count_problem(number, qty)) is not None:
            problems.append(problem)
        elif sku in counts:
            problems.append(Problem("stock.repeated", {"line": number, "sku": sku}))
        else:
            counts[sku] = int(qty)
    return StockReport({} if problems else counts, problems)


def count_problem(line: int, qty: str) -> Problem | None:
    """What is wrong with a typed count (a whole number from 0 to ``MAX_QTY``), if anything."""
    shown = qty[:20]
    if not qty:
        return Problem("stock.no_qty", {"line": line})
    if not WHOLE.match(qty):
        return Problem("stock.bad_qty", {"line": line, "qty": shown})
    if int(qty) < 0:
        return Problem("stock.negative", {"line": line, "qty": shown})
    if int(qty) > MAX_QTY:
        return Problem("stock.too_big", {"line": line, "qty": shown, "max": f"{MAX_QTY:,}"})
    return None


@dataclass(frozen=True)
class PickupRequest:
    """`/pickup ORDER CODE` as typed."""

    order: str
    code: str


def parse_pickup(args: list[str]) -> PickupRequest | Problem:
    """The order reference and the code, or what to type instead."""
    folded = [fold(a).strip() for a in args if fold(a).strip()]
    if len(folded) == 1:
        return Problem("pickup.need_code")
    if len(folded) < 2:
        return Problem("pickup.usage")
    order, code = folded[0], "".join(folded[1:])
    if not REF.match(order):
        return Problem("order.bad_ref", {"ref": order[:20]})
    return PickupRequest(order, code)


def parse_order_ref(args: list[str]) -> str | Problem:
    """A single order reference (`/delivered ORDER`)."""
    folded = [fold(a).strip() for a in args if fold(a).strip()]
    if len(folded) != 1:
        return Problem("delivered.usage")
    if not REF.match(folded[0]):
        return Problem("order.bad_ref", {"ref": folded[0][:20]})
    return folded[0]
