"""Money: integer minor units with a currency; decimal strings only at the edges.

Amounts travel and are stored as ``int`` minor units (fen for CNY). A split of an amount
into parts uses the largest remainder method, so the parts always add up exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

# ISO 4217 minor-unit exponents of the currencies Baton accepts.
EXPONENTS: dict[str, int] = {
    "CNY": 2, "HKD": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "SGD": 2, "JPY": 0, "KRW": 0,
}  # fmt: skip

_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,14})(?:\.([0-9]+))?$")

# The largest amount Baton takes, in minor units: a price, a discount or an order's total
# (10,000,000,000.00 CNY). Bounded so that sums stay exact in a signed 64-bit column: nine
# million amounts this large still add up below 2**63 - 1.
MAX_MINOR = 10**12


class MoneyError(ValueError):
    """An amount or currency Baton cannot take: the message says what is wrong."""


def exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency``."""
    try:
        return EXPONENTS[currency]
    except KeyError:
        known = ", ".join(sorted(EXPONENTS))
        raise MoneyError(f"unknown currency {currency!r}; use one of {known}") from None


def known_currency(value: str) -> str:
    """``value`` if Baton takes that currency, for a model's validator; else MoneyError."""
    exponent(value)
    return value


def parse_amount(text: str, currency: str) -> int:
    """A non-negative decimal string such as ``"199.00"`` as minor units of ``currency``."""
    digits = exponent(currency)
    if not isinstance(text, str):
        raise MoneyError('an amount is a decimal string such as "199.00"')
    match = _AMOUNT.match(text.strip())
    if match is None:
        raise MoneyError(f'{text!r} is not an amount; write it like "199.00"')
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        raise MoneyError(f"{text!r} has more than {digits} decimals for {currency}")
    return check_amount(int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0"), currency)


def check_amount(minor: int, currency: str) -> int:
    """``minor`` if it is at most ``MAX_MINOR``; else MoneyError naming the bound."""
    if minor > MAX_MINOR:
        most = format_amount(MAX_MINOR, currency)
        raise MoneyError(f"{format_amount(minor, currency)} is more than Baton takes ({most})")
    return minor


def format_amount(minor: int, currency: str) -> str:
    """Minor units as a decimal string: ``19900`` CNY → ``"199.00"``."""
    digits = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


def split(total: int, weights: Sequence[Fraction | int]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``; the parts sum to ``total``.

    Largest remainder: each part gets the floor of its exact share, then the units left
    over go one each to the parts with the largest remainders (earlier parts on ties).
    """
    if not weights:
        raise ValueError("split needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(Fraction(w) for w in weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    exact = [Fraction(total) * Fraction(w) / weight_sum for w in weights]
    parts = [int(share // 1) for share in exact]
    left = total - sum(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts
