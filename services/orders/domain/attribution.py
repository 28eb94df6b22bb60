"""Which dealer an order's customer belongs to: the *originating* dealer, who earns a share.

A referral code naming a known dealer wins; else the dealer the customer is bound to (the
dealer that fulfilled the customer's first order); else nobody. An unknown code is ignored
but reported, so HQ can see mistyped or stale codes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Source = Literal["referral_code", "binding", "none"]


@dataclass(frozen=True)
class Attribution:
    """The originating dealer, how it was found, and a referral code that named nobody."""

    originating_dealer_id: str | None
    source: Source
    unknown_referral_code: str | None = None


def normalise_referral_code(code: str) -> str:
    """A code as stored and looked up: full-width folded, spaces dropped, upper case."""
    return "".join(unicodedata.normalize("NFKC", code).split()).upper()


def attribute(
    referral_code: str | None,
    bound_dealer_id: str | None,
    code_owner: Mapping[str, str],
) -> Attribution:
    """Attribute an order: referral code, else binding, else none.

    ``code_owner`` maps normalised referral codes (``normalise_referral_code``) to dealers.
    """
    unknown = None
    if referral_code is not None and referral_code.strip():
        owner = code_owner.get(normalise_referral_code(referral_code))
        if owner is not None:
            return Attribution(owner, "referral_code")
        unknown = referral_code
    if bound_dealer_id is not None:
        return Attribution(bound_dealer_id, "binding", unknown)
    return Attribution(None, "none", unknown)


def binding_after_fulfilment(
    existing_binding: str | None,
    fulfilling_dealer_id: str,
    *,
    fulfilled_by_warehouse: bool = False,
) -> str | None:
    """The customer's binding once an order is fulfilled: the first fulfilling dealer, kept.

    HQ's warehouse does not bind a customer: a later dealer's first order still may.
    """
    if existing_binding is not None or fulfilled_by_warehouse:
        return existing_binding
    return fulfilling_dealer_id
