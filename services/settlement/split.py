"""The split calculator: who gets what of each order line, and what a return takes back.

Pure: no I/O. For each line the customer paid ``A`` (after promotion); ``L`` is the list
amount, ``W`` the wholesale amount (wholesale price × qty), ``D = max(L − A, 0)`` the
discount. The promotion says who funds ``D``: HQ, the dealer, or half each ("shared": HQ
funds exactly half, the rounding is settled below with the rest). A line with no promotion
(``funded_by`` None) is dealer-funded: a price below list is the dealer's own choice.

``M = A + (HQ-funded part of D) − W`` is the margin. The fulfilling dealer gets
``W + f% of max(M, 0)``, the originating dealer ``r% of max(M, 0)`` (the fulfilling dealer
when they are the same, HQ when there is none), the channel's service provider ``p% of A``,
and HQ the rest: its revenue is credited with the rest plus the HQ-funded discount and its
promotion expense debited with that discount, so HQ bears the discount and any negative
margin. ``f`` (70), ``r`` (10) and ``p`` (0) come from the configuration.

Rounding: the exact shares are fractions; each is rounded down and the minor units left
over go one each to the largest remainders (``largest_remainder``), so a line's parts add
up to exactly ``A``, and an order's to exactly what the customer paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from services.settlement import accounts
from services.settlement.accounts import Share, State
from services.settlement.split_rules import HUNDRED, SplitConfig
from shared.messages.orders import SaleLine

# -- the split -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    """An order as settlement sees it: who took part, how it was paid, and its lines."""

    order_id: str
    channel: str
    currency: str
    payment: str  # prepaid | cod
    fulfilling_dealer_id: str
    originating_dealer_id: str | None
    lines: tuple[SaleLine, ...]
    fulfilled_by_hq: bool = False  # HQ's own warehouse fulfilled it: that share is HQ's

    @property
    def paid(self) -> int:
        """What the customer paid for the whole order, in minor units."""
        return sum(line.unit_price * line.qty for line in self.lines)


@dataclass(frozen=True)
class Part:
    """One recipient's part of a line, in minor units."""

    share: Share
    amount: int
    dealer_id: str | None = None
    channel: str | None = None

    def account(self, state: State = "held") -> str:
        """The ledger account this part is booked to (dealers' by the state of the money)."""
        if self.dealer_id is not None:
            return accounts.earnings(self.dealer_id, state)
        if self.share == "provider":
            return accounts.provider(self.channel or "")
        if self.share == "promotion":
            return accounts.HQ_PROMOTION
        return accounts.HQ_REVENUE

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """Who this part belongs to, whatever its amount."""
        return (self.share, self.dealer_id, self.channel)


@dataclass(frozen=True)
class LineSplit:
    """A line's parts; they add up to exactly ``paid``."""

    sku: str
    paid: int
    parts: tuple[Part, ...]


def largest_remainder(total: int, exact: Sequence[Fraction]) -> list[int]:
    """Round fractions that add up to ``total`` to integers that still add up to it.

    Each is rounded down; the units left over go one each to the largest remainders
    (earlier on ties). Works for negative fractions too (floor rounds towards −∞).
    """
    if sum(exact, Fraction(0)) != total:
        raise ValueError("the exact shares do not add up to the total")
    parts = [x.numerator // x.denominator for x in exact]
    left = total - sum(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def hq_funded_discount(line: SaleLine) -> Fraction:
    """The part of the line's discount that HQ funds (exact; half of it when shared)."""
    discount = max(line.list_price - line.unit_price, 0) * line.qty
    if line.funded_by == "hq":
        return Fraction(discount)
    if line.funded_by == "shared":
        return Fraction(discount, 2)
    return Fraction(0)  # funded by the dealer, or no promotion: a lower price is the dealer's


def split_line(sale: Sale, line: SaleLine, config: SplitConfig) -> LineSplit:
    """The line's parts by the formula in this module's docstring."""
    paid = line.unit_price * line.qty
    wholesale = line.wholesale_price * line.qty
    hq_discount = hq_funded_discount(line)
    margin = max(paid + hq_discount - wholesale, Fraction(0))
    fulfiller, originator = sale.fulfilling_dealer_id, sale.originating_dealer_id
    f = config.fulfilment_pct(sale.channel, line.category, fulfiller) / HUNDRED
    r = config.referral_pct(sale.channel, line.category, originator) / HUNDRED
    p = config.provider(sale.channel) / HUNDRED
    fulfilment = wholesale + f * margin
    referral = r * margin if originator is not None else Fraction(0)
    provider = p * paid
    rest = paid - fulfilment - referral - provider  # HQ's, after bearing its discount
    candidates: list[tuple[Part, Fraction]] = []
    if sale.fulfilled_by_hq:
        rest += fulfilment
    else:
        candidates.append((Part("fulfilment", 0, fulfiller), fulfilment))
    if originator is not None:
        candidates.append((Part("referral", 0, originator), referral))
    if provider:
        candidates.append((Part("provider", 0, channel=sale.channel), provider))
    candidates.append((Part("hq", 0), rest + hq_discount))
    if hq_discount:
        candidates.append((Part("promotion", 0), -hq_discount))
    amounts = largest_remainder(paid, [exact for _, exact in candidates])
    parts = tuple(
        Part(part.share, amount, part.dealer_id, part.channel)
        for (part, _), amount in zip(candidates, amounts, strict=True)
    )
    return LineSplit(line.sku, paid, parts)


def split_sale(sale: Sale, config: SplitConfig) -> list[LineSplit]:
    """Every line's split, in the order's line order."""
    return [split_line(sale, line, config) for line in sale.lines]


# -- returns ---------------------------------------------------------------------------------


def taken_back(posted: int, qty: int, returned: int) -> int:
    """How much of a part is reversed once ``returned`` of ``qty`` units are back.

    Proportional, rounded towards zero, so a recipient's reversal never exceeds its share
    and never turns into a gain; exact (``posted``) when every unit is back.
    """
    if not 0 <= returned <= qty:
        raise ValueError(f"returned must be 0 to {qty}, not {returned}")
    magnitude = abs(posted) * returned // qty
    return magnitude if posted >= 0 else -magnitude


def reversal(
    posted: Mapping[Any, int],
    residual: Any,
    unit_price: int,
    qty: int,
    returned_before: int,
    returning: int,
) -> dict[Any, int]:
    """What to take back from each part of a line for ``returning`` more units.

    ``posted`` maps each part of the line to what was booked for it (they add up to
    ``unit_price × qty``). Each part gives back its proportional share of the units returned
    so far, rounded towards zero (``taken_back``), computed on the cumulative count so that
    returning every unit in any number of steps reverses exactly what was posted; the
    ``residual`` part (HQ's revenue) takes the rounding so that each reversal adds up to
    exactly the refund, ``unit_price × returning``.
    """
    after = returned_before + returning
    if returning <= 0 or after > qty:
        raise ValueError(f"cannot return {returning} more of {qty} after {returned_before}")
    if sum(posted.values()) != unit_price * qty:
        raise ValueError("the posted parts do not add up to what the customer paid")
    keys = list(posted)
    if residual not in posted:
        keys.append(residual)
    result: dict[Any, int] = {}
    for key in keys:
        if key == residual:
            continue
        amount = posted[key]
        result[key] = taken_back(amount, qty, after) - taken_back(amount, qty, returned_before)
    result[residual] = unit_price * returning - sum(result.values())
    return result


def totals(splits: Iterable[LineSplit]) -> dict[tuple[str, str | None, str | None], int]:
    """Every recipient's total over the lines."""
    result: dict[tuple[str, str | None, str | None], int] = {}
    for line in splits:
        for part in line.parts:
            result[part.key] = result.get(part.key, 0) + part.amount
    return result
