"""The pricing rules, pure: the floor in force, what a promotion takes off, which one applies.

No I/O here: the shell loads floor versions and promotions, these functions decide. The
rules, also stated in docs/architecture.md ("Price floors and promotions"):

* **Floor in force** for a product at a time: the newest SKU rule that has taken effect;
  else the newest rule of its category that has taken effect; else the product's own
  ``floor_price``. A rule in another currency than the product's never applies.
* **Discount** of a promotion, per unit: a percentage of the list price rounded half up to
  the minor unit, or a fixed amount (same currency only) of at most the list price.
* **Options** for a line: every live promotion that covers its SKU or category and the
  order's region, alone; and all of the *stackable* ones together, their discounts (each
  off the list price) added. A promotion that is not stackable never combines. A
  promotion with a unit cap is an option only while it has units left for the whole line.
  A price is never below 0.
* **Best for the customer**: the option with the lowest price; ties go to fewer
  promotions, then to the one that started first, then to the smaller id.
* **Covered**: a line below the floor in force is taken only if it is at or above the best
  option's price. A line at or above the floor is always taken.
* **Applied**: the best option is recorded on the line (and its units counted against the
  caps) when the customer paid less than the list price but no less than the option's
  price. Paying the list price uses no promotion; paying less than the promotion's price
  (allowed only at or above the floor) is a sale without promotion, so a promotion's funder
  never pays for more discount than the promotion gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shared.money import format_amount
from shared.regions import region_key

Funder = Literal["hq", "dealer", "shared"]
FUNDERS: tuple[Funder, ...] = ("hq", "dealer", "shared")
Scope = Literal["sku", "category"]
BASIS_POINTS = 10_000  # 100 %
SYMBOLS = {"CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}


@dataclass(frozen=True)
class FloorRule:
    """One version of a floor: for a SKU or a category, from ``effective_at`` on."""

    id: int
    scope: Scope
    key: str
    floor: int
    currency: str
    effective_at: datetime


@dataclass(frozen=True)
class Floor:
    """The floor in force and where it comes from (``sku``, ``category`` or ``product``)."""

    amount: int
    source: Literal["sku", "category", "product"]
    rule_id: int | None = None
    effective_at: datetime | None = None


def _newer(current: FloorRule | None, rule: FloorRule) -> FloorRule:
    if current is None or (rule.effective_at, rule.id) > (current.effective_at, current.id):
        return rule
    return current


def floor_in_force(
    sku: str, category: str, currency: str, base: int, rules: Iterable[FloorRule], at: datetime
) -> Floor:
    """The floor of a product at ``at``: its SKU rule, else its category's, else ``base``."""
    by_sku: FloorRule | None = None
    by_category: FloorRule | None = None
    for rule in rules:
        if rule.currency != currency or rule.effective_at > at:
            continue
        if rule.scope == "sku" and rule.key == sku:
            by_sku = _newer(by_sku, rule)
        elif rule.scope == "category" and rule.key == category:
            by_category = _newer(by_category, rule)
    chosen = by_sku or by_category
    if chosen is None:
        return Floor(base, "product")
    return Floor(chosen.floor, chosen.scope, chosen.id, chosen.effective_at)


@dataclass(frozen=True)
class Terms:
    """What pricing needs of a promotion: window, what and where it covers, its discount."""

    id: str
    starts_at: datetime
    ends_at: datetime
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()  # region_key()s; empty: every region
    percent_bp: int | None = None  # basis points: 1000 is 10 %
    amount_off: int | None = None  # minor units per unit, in ``currency``
    currency: str | None = None
    funded_by: Funder = "hq"
    unit_cap: int | None = None
    units_sold: int = 0
    stackable: bool = False
    ended_at: datetime | None = None  # ended early by HQ

    @property
    def end(self) -> datetime:
        """When it stops: its planned end, or earlier if HQ ended it."""
        return min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at

    def live_at(self, at: datetime) -> bool:
        """True if ``at`` is within the window (start included, end excluded)."""
        return self.starts_at <= at < self.end

    def covers(self, sku: str, category: str, region: str) -> bool:
        """True if the promotion names the SKU or its category, and the region (if any)."""
        named = sku in self.skus or category in self.categories
        return named and (not self.regions or region_key(region) in self.regions)

    @property
    def units_left(self) -> int | None:
        """Units that may still be sold under it; None without a cap."""
        return None if self.unit_cap is None else max(0, self.unit_cap - self.units_sold)

    def discount(self, list_price: int, currency: str) -> int | None:
        """Minor units off one unit at ``list_price``; None if it cannot apply (currency)."""
        if self.percent_bp is not None:
            return percent_of(list_price, self.percent_bp)
        if self.amount_off is None or self.currency != currency:
            return None
        return min(self.amount_off, list_price)


def percent_of(amount: int, basis_points: int) -> int:
    """``amount × basis_points / 10000`` rounded half up to a whole minor unit."""
    return (amount * basis_points + BASIS_POINTS // 2) // BASIS_POINTS


@dataclass(frozen=True)
class Option:
    """A way to price a line: one promotion, or several stackable ones, and the price."""

    price: int
    parts: tuple[tuple[Terms, int], ...]  # each promotion with its discount per unit

    @property
    def promotion_ids(self) -> tuple[str, ...]:
        """The ids of its promotions."""
        return tuple(p.id for p, _ in self.parts)

    @property
    def lead(self) -> Terms:
        """The promotion giving the most discount (the first one on a tie)."""
        return max(self.parts, key=lambda part: part[1])[0]

    @property
    def funded_by(self) -> Funder:
        """Who funds the discount: the funder they share, or ``shared`` if they differ."""
        funders = {p.funded_by for p, _ in self.parts}
        return funders.pop() if len(funders) == 1 else "shared"

    def sort_key(self) -> tuple[int, int, datetime, tuple[str, ...]]:
        """Lowest price first, then fewer promotions, earlier start, smaller id."""
        return (self.price, len(self.parts), min(p.starts_at for p, _ in self.parts),
                self.promotion_ids)  # fmt: skip


def best_option(list_price: int, currency: str, candidates: Sequence[Terms]) -> Option | None:
    """The best price the ``candidates`` (live, covering, with units left) give; None if none."""
    singles: list[tuple[Terms, int]] = []
    for terms in sorted(candidates, key=lambda p: (p.starts_at, p.id)):
        off = terms.discount(list_price, currency)
        if off is not None:
            singles.append((terms, off))
    options = [Option(max(0, list_price - off), ((terms, off),)) for terms, off in singles]
    stack = tuple(part for part in singles if part[0].stackable)
    if len(stack) > 1:
        options.append(Option(max(0, list_price - sum(off for _, off in stack)), stack))
    return min(options, key=Option.sort_key, default=None)


@dataclass(frozen=True)
class LineIn:
    """An order line with what the catalog says of its product."""

    sku: str
    category: str
    qty: int
    paid: int  # the unit price the customer paid, minor units
    list_price: int
    currency: str
    base_floor: int  # the product's own floor_price


@dataclass(frozen=True)
class Quote:
    """How the rules price one line at order time."""

    line: LineIn
    floor: Floor
    best: Option | None  # the best promotional price there was for this line
    applied: Option | None  # ``best`` if the customer's price used it, else None

    @property
    def accepted(self) -> bool:
        """At or above the floor, or covered by a promotion's price."""
        paid = self.line.paid
        return paid >= self.floor.amount or (self.best is not None and paid >= self.best.price)

    @property
    def effective_price(self) -> int:
        """The lowest unit price the rules allowed: the best option's, else the list price."""
        return self.best.price if self.best is not None else self.line.list_price

    def record(self) -> dict[str, object]:
        """What the order keeps of its pricing, for settlement and disputes (JSON-able)."""
        applied = self.applied
        return {
            "sku": self.line.sku, "qty": self.line.qty, "unit_price": self.line.paid,
            "list_price": self.line.list_price, "floor": self.floor.amount,
            "floor_source": self.floor.source, "floor_rule_id": self.floor.rule_id,
            "effective_price": self.effective_price,
            "best_promotion_ids": list(self.best.promotion_ids) if self.best else [],
            "promotion_id": applied.lead.id if applied else None,
            "funded_by": applied.funded_by if applied else None,
            "promotions": [
                {"id": p.id, "discount": off, "funded_by": p.funded_by}
                for p, off in (applied.parts if applied else ())
            ],
        }  # fmt: skip


@dataclass
class _Caps:
    left: dict[str, int] = field(default_factory=dict)

    def room(self, terms: Terms, qty: int) -> bool:
        left = self.left.get(terms.id, terms.units_left)
        return left is None or left >= qty

    def take(self, option: Option, qty: int) -> None:
        for terms, _ in option.parts:
            if terms.unit_cap is not None:
                self.left[terms.id] = self.left.get(terms.id, terms.units_left or 0) - qty


def quote_order(
    lines: Sequence[LineIn],
    rules: Sequence[FloorRule],
    promotions: Sequence[Terms],
    region: str,
    at: datetime,
) -> list[Quote]:
    """Price every line of an order in turn; earlier lines use up capped units first."""
    caps = _Caps()
    quotes: list[Quote] = []
    for line in lines:
        floor = floor_in_force(line.sku, line.category, line.currency, line.base_floor, rules, at)
        candidates = [
            p for p in promotions
            if p.live_at(at) and p.covers(line.sku, line.category, region)
            and caps.room(p, line.qty)
        ]  # fmt: skip
        best = best_option(line.list_price, line.currency, candidates)
        applied = best if best is not None and best.price <= line.paid < line.list_price else None
        if applied is not None:
            caps.take(applied, line.qty)
        quotes.append(Quote(line, floor, best, applied))
    return quotes


def units_used(quotes: Iterable[Quote]) -> dict[str, int]:
    """Units each promotion gives its price to in these quotes."""
    used: dict[str, int] = {}
    for quote in quotes:
        for promotion_id in quote.applied.promotion_ids if quote.applied else ():
            used[promotion_id] = used.get(promotion_id, 0) + quote.line.qty
    return used


def recorded_units(
    pricing: Iterable[Mapping[str, Any]], lines: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Units each promotion gave its price to, from an order's ``intake["pricing"]``.

    With ``lines`` (SKU → units), only those units of those SKUs: what a return gives back.
    """
    used: dict[str, int] = {}
    for record in pricing:
        qty = int(record["qty"])
        if lines is not None:
            qty = min(lines.get(str(record["sku"]), 0), qty)
        for promotion in record.get("promotions") or () if qty else ():
            used[promotion["id"]] = used.get(promotion["id"], 0) + qty
    return used


def discount_text(percent_bp: int | None, amount_off: int | None, currency: str | None) -> str:
    """A discount as people write it: ``10%``, ``12.5%``, ``¥20.00``."""
    if percent_bp is not None:
        whole, part = divmod(percent_bp, 100)
        return f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"
    if amount_off is None or currency is None:
        return ""
    amount = format_amount(amount_off, currency)
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def floor_risk(floor: int, list_price: int) -> Literal["free", "above_list"] | None:
    """Why a new floor needs HQ to set it knowingly: ``free`` (0 removes the floor: the
    product could be sold for nothing), ``above_list`` (every order at the list price would be
    refused); None if neither."""
    if floor == 0:
        return "free"
    if floor > list_price:
        return "above_list"
    return None
