"""Order statuses, the actions on an order, and which action each status allows.

``why_not`` is the single table of the state machine: the ``Order`` methods ask it before
they change anything, and ``Order.allowed_actions`` lists what it allows.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order stands."""

    RECEIVED = "received"
    WAITING_FOR_HQ = "waiting_for_hq"  # no dealer could take it: HQ was alerted
    OFFERED = "offered"
    ACCEPTED = "accepted"
    READY_FOR_PICKUP = "ready_for_pickup"
    OUT_FOR_DELIVERY = "out_for_delivery"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    REJECTED = "rejected"


class Fulfilment(StrEnum):
    """How the customer gets the goods."""

    PICKUP = "pickup"
    DELIVERY = "delivery"


S = OrderStatus

# No action leaves these. ``completed`` is not final: its lines can still be returned.
FINAL = frozenset({S.CANCELLED, S.RETURNED, S.REJECTED})
# The order's work is done: its customer's details are kept a retention after this, then
# cleared (``services.orders.retention``); a completed order's return needs none of them.
ENDED = FINAL | {S.COMPLETED}
# No dealer holds these: routing may offer them (again).
UNASSIGNED = frozenset({S.RECEIVED, S.WAITING_FOR_HQ})
# Until the goods change hands an order can be cancelled; after that only returned.
BEFORE_HANDOVER = UNASSIGNED | {S.OFFERED, S.ACCEPTED, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY}

ACTIONS: tuple[str, ...] = (
    "offer",
    "broadcast",
    "accept",
    "taken",
    "decline",
    "expire",
    "ready_for_pickup",
    "out_for_delivery",
    "complete",
    "cancel",
    "return_lines",
    "reject",
    "wait_for_hq",
)

_ON_OFFER = "only an order on offer can be {}"
_NEEDS: dict[str, tuple[frozenset[OrderStatus], str]] = {
    "offer": (
        UNASSIGNED,
        "only an order no dealer holds is offered; a declined or expired offer returns it first",
    ),
    "broadcast": (
        UNASSIGNED,
        "only an order no dealer holds is offered; a declined or expired offer returns it first",
    ),
    "accept": (frozenset({S.OFFERED}), _ON_OFFER.format("accepted")),
    "taken": (frozenset({S.OFFERED}), _ON_OFFER.format("taken")),
    "decline": (frozenset({S.OFFERED}), _ON_OFFER.format("declined")),
    "expire": (frozenset({S.OFFERED}), _ON_OFFER.format("expired")),
    "ready_for_pickup": (frozenset({S.ACCEPTED}), "only an accepted order gets ready for pickup"),
    "out_for_delivery": (frozenset({S.ACCEPTED}), "only an accepted order goes out for delivery"),
    "complete": (
        frozenset({S.ACCEPTED, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY}),
        "only an order ready for pickup or being delivered can be completed",
    ),
    "cancel": (BEFORE_HANDOVER, "the goods were handed over; return its lines instead"),
    "return_lines": (frozenset({S.COMPLETED}), "only a completed order has lines to return"),
    "reject": (frozenset({S.RECEIVED}), "an order is rejected only at intake"),
    "wait_for_hq": (
        frozenset({S.RECEIVED}),
        "only a received order starts waiting for HQ (once: HQ is alerted then)",
    ),
}


def why_not(
    action: str,
    status: OrderStatus,
    fulfilment: Fulfilment,
    *,
    grab_offer: bool = False,
    attempts: int = 0,
) -> str | None:
    """Why ``action`` is refused for an order in ``status``, or ``None`` when it is allowed."""
    if action not in _NEEDS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    if status in FINAL:
        return f"the order is {status}, which is final"
    allowed, why = _NEEDS[action]
    if status not in allowed:
        return why
    pickup = fulfilment == Fulfilment.PICKUP
    if action == "ready_for_pickup" and not pickup:
        return "a delivery order is not picked up; use out_for_delivery"
    if action == "out_for_delivery" and pickup:
        return "a pickup order is not delivered; use ready_for_pickup"
    if action == "complete" and pickup and status != S.READY_FOR_PICKUP:
        return "a pickup order is completed from ready_for_pickup, with the customer's code"
    if action == "accept" and grab_offer:
        return "this offer went to several dealers at once; the first one takes it (taken)"
    if action == "taken" and not grab_offer:
        return "this offer went to one dealer, who accepts it (accept)"
    if action == "reject" and attempts > 0:
        return "the order was already offered to dealers; cancel it instead"
    return None
