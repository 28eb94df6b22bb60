"""Parsing what dealers type on a phone: any text gives a result or an error to show, never a crash.

Phones type full-width digits and punctuation (`ＰＸ－１　５`), so text is NFKC-folded first.
Errors are message-catalog keys with values, so the reply is in the user's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

SKU = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
REF = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
WHOLE = re.compile(r"^[+-]?[0-9]+$")
MAX_QTY = 1_000_000
MAX_LINES = 200


@dataclass(frozen=True)
class Problem:
    """Something to tell the user: a catalog key and the values it needs."""

    key: str
    values: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class StockReport:
    """Counts to report, or the problems that stop the whole message."""

    counts: dict[str, int]
    problems: list[Problem]


def fold(text: str) -> str:
    """Full-width and other compatibility forms to plain ASCII-ish text."""
    return unicodedata.normalize("NFKC", text)


def parse_stock_lines(text: str) -> StockReport:
    """``SKU QTY`` per line (spaces, ``:`` ``=`` or ``,`` between); all lines or none."""
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    lines = [ln.strip() for ln in fold(text).splitlines() if ln.strip()]
    if not lines:
        return StockReport({}, [Problem("stock.empty")])
    if len(lines) > MAX_LINES:
        return StockReport({}, [Problem("stock.too_many", {"max": MAX_LINES})])
    for number, line in enumerate(lines, start=1):
        parts = re.split(r"[\s:=,]+", line)
        if len(parts) != 2:
            problems.append(Problem("stock.bad_line", {"line": number, "text": line[:40]}))
            continue
        sku, qty = parts
        if not SKU.match(sku):
            problems.append(Problem("stock.bad_sku", {"line": number, "sku": sku[:40]}))
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
