"""Why a move's arguments are refused, whatever the order's status (that is ``status.why_not``).

Each check returns the reason, or ``None`` when the arguments are fine; the ``Order``
method raises IllegalTransition with it before changing anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from services.orders.domain.values import Offer


def offer_refusal(dealer_ids: Sequence[str], deadline: datetime, at: datetime) -> str | None:
    """Why an offer to ``dealer_ids`` until ``deadline``, made ``at``, cannot be made."""
    if not dealer_ids or len(set(dealer_ids)) != len(dealer_ids):
        return "name one or more different dealers"
    if deadline <= at:
        return f"the deadline {deadline.isoformat()} is not in the future"
    return None


def answer_refusal(offer: Offer | None, offer_id: str, dealer_id: str | None) -> str | None:
    """Why ``dealer_id`` (None: the system) cannot answer ``offer_id`` while ``offer`` is open."""
    if offer is None or offer.offer_id != offer_id:
        return f"{offer_id} is not this order's current offer"
    if dealer_id is not None and dealer_id not in offer.dealer_ids:
        return f"dealer {dealer_id} was not offered this order"
    if dealer_id is not None and dealer_id in offer.declined:
        return f"dealer {dealer_id} already declined this offer"
    return None


def return_refusal(left: Mapping[str, int], lines: Mapping[str, int]) -> str | None:
    """Why ``lines`` (SKU → units) cannot come back when ``left`` units per SKU are returnable."""
    if not lines:
        return "name at least one line to return"
    for sku, qty in lines.items():
        if sku not in left:
            return f"{sku} is not in this order"
        if not 0 < qty <= left[sku]:
            return f"{qty} of {sku}: between 1 and {left[sku]} can still be returned"
    return None
