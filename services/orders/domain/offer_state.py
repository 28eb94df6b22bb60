"""Where one dealer's offer of an order stands (the ``offers`` table's ``state``), and its groups.

An offer row is made when routing asks the stock service to reserve the order's lines at
one dealer (``reserving``); the stock answer makes it ``reserved`` or ``unavailable``; the
round opens (``offered``) once every reservation of the round is answered; the dealer's
answer, the deadline, another dealer of a grab round or a cancel ends it.
"""

from __future__ import annotations

from enum import StrEnum


class OfferState(StrEnum):
    """One dealer's offer of an order; the values are what the ``offers`` table stores."""

    RESERVING = "reserving"  # ReserveStock sent, no answer yet
    RESERVED = "reserved"  # StockReserved: waits for the round's other answers
    UNAVAILABLE = "unavailable"  # StockUnavailable: never offered
    OFFERED = "offered"  # in the dealer's chat until the deadline
    ACCEPTED = "accepted"  # the dealer took it (in a grab round too)
    DECLINED = "declined"
    EXPIRED = "expired"  # the round's deadline passed unanswered
    TAKEN = "taken"  # another dealer of the grab round took the order first
    CANCELLED = "cancelled"  # the order was cancelled while this offer held stock


# Tuples, not sets: they go into SQL ``IN (…)``, whose parameters should keep one order.
# A reservation or an offer is under way: routing waits, and it counts as a dealer's load.
OPEN: tuple[OfferState, ...] = (OfferState.RESERVING, OfferState.OFFERED)
# The dealer answered, or let the deadline pass: what a dealer's acceptance rate counts.
ANSWERED: tuple[OfferState, ...] = (OfferState.ACCEPTED, OfferState.DECLINED, OfferState.EXPIRED)
# The offer's stock is reserved, held or being reserved: a cancel releases it.
HOLDING: tuple[OfferState, ...] = (
    OfferState.RESERVING,
    OfferState.RESERVED,
    OfferState.OFFERED,
    OfferState.ACCEPTED,
)
