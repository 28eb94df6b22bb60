"""Ledger account names, one place: who the money is with and in what state.

A balance is the sum of its entries. For a dealer's earnings a positive balance is what HQ
owes the dealer; ``cash_owed`` is negative while the dealer owes HQ cash collected on
delivery, so a dealer's net position is simply the sum of their available and cash-owed
balances.
"""

from __future__ import annotations

from typing import Literal

State = Literal["held", "pending", "available", "paid"]
STATES: tuple[State, ...] = ("held", "pending", "available", "paid")
CASH_OWED = "cash_owed"

CUSTOMER = "customer_clearing"
HQ_REVENUE = "hq:revenue"
HQ_PROMOTION = "hq:promotion_expense"

# What an entry is a share of: the dealers' two kinds, the provider's, HQ's, the promotion
# HQ funds; moves between states keep the kind of what they move.
Share = Literal["fulfilment", "referral", "provider", "hq", "promotion"]
DEALER_SHARES: tuple[Share, ...] = ("fulfilment", "referral")


def earnings(dealer_id: str, state: State) -> str:
    """A dealer's earnings in one state: ``dealer:{id}:earnings:{state}``."""
    return f"dealer:{dealer_id}:earnings:{state}"


def cash_owed(dealer_id: str) -> str:
    """Cash a dealer collected on delivery and owes HQ: ``dealer:{id}:cash_owed``."""
    return f"dealer:{dealer_id}:{CASH_OWED}"


def provider(channel: str) -> str:
    """Commission payable to the service provider running ``channel``."""
    return f"provider:{channel}:commission"
