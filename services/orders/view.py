"""`GET /v1/orders/{id}`: an order as the orders service knows it, said plainly.

The stock reservation is shown as the orders service learned of it through events (it
never reads the stock service's tables): the request it sent with each offer, the dealer,
and how far that reservation got. Each line's pricing says what the customer paid, the
floor and the best promotion in force at order time, and which one the price used.
"""

from __future__ import annotations

from typing import Any

from services.orders.domain.offer_state import OfferState
from services.orders.domain.status import OrderStatus
from services.orders.models import OfferRow, RoutingRow
from services.orders.repository import Loaded
from shared.money import format_amount

# An offer's state → its reservation's, from the messages exchanged with the stock service.
# ``accepted`` depends on the order (held, then committed at handover): reservation_state.
_RESERVATION: dict[OfferState, str] = {
    OfferState.RESERVING: "requested",  # ReserveStock sent, no answer yet
    OfferState.UNAVAILABLE: "refused",  # StockUnavailable: the dealer had not the stock
    OfferState.RESERVED: "reserved",  # StockReserved, the offer about to open
    OfferState.OFFERED: "reserved",  # held while the dealer decides
    OfferState.DECLINED: "released",  # ReleaseReservation sent
    OfferState.EXPIRED: "released",
    OfferState.TAKEN: "released",  # another dealer of a grab round took the order
    OfferState.CANCELLED: "released",
}
HANDED_OVER = frozenset({OrderStatus.COMPLETED, OrderStatus.RETURNED})


def reservation_state(offer_state: OfferState, order_status: OrderStatus) -> str:
    """What became of an offer's stock reservation, as far as the orders service knows."""
    if offer_state == OfferState.ACCEPTED:  # HoldReservation sent; CommitReservation at handover
        return "committed" if order_status in HANDED_OVER else "held"
    return _RESERVATION[offer_state]


def reservations(offers: list[OfferRow], status: OrderStatus) -> list[dict[str, Any]]:
    """One entry per stock reservation the order asked for, oldest first."""
    return [
        {"request_id": o.request_id, "dealer_id": o.dealer_id, "attempt": o.attempt,
         "state": reservation_state(o.state, status)}
        for o in offers
    ]  # fmt: skip


def line_pricing(record: dict[str, Any], currency: str) -> dict[str, Any]:
    """One line's pricing record (``Quote.record``) in words and decimal strings."""

    def money(minor: int) -> str:
        return format_amount(minor, currency)

    paid, listed, floor = record["unit_price"], record["list_price"], record["floor"]
    best_ids = list(record.get("best_promotion_ids") or [])
    in_force = None
    if best_ids:
        in_force = {"price": money(record["effective_price"]), "promotion_ids": best_ids}
    applied = None
    if record.get("promotion_id"):
        applied = {
            "promotion_id": record["promotion_id"], "funded_by": record.get("funded_by"),
            "promotions": [
                {"id": p["id"], "discount": money(p["discount"]), "funded_by": p["funded_by"]}
                for p in record.get("promotions", [])
            ],
        }  # fmt: skip
    if applied is not None:
        basis = "promotion"
        note = (
            f"paid {money(paid)}, {money(listed - paid)} off the list price, under promotion "
            f"{record['promotion_id']} (funded by {record.get('funded_by')})"
        )
    elif paid >= listed:
        basis = "list_price"
        note = f"paid the list price {money(listed)}" + (" or more" if paid > listed else "")
        note += "; no promotion used"
        if in_force is not None:
            note += f" (the promotion in force allowed down to {in_force['price']})"
    else:
        basis = "below_list_price"
        note = f"paid {money(paid)}, under the list price and not under the floor {money(floor)}"
        note += "; no promotion used"
        if in_force is not None:
            note += f" (it is under the promotion price {in_force['price']})"
    return {
        "sku": record["sku"], "qty": record["qty"], "paid": money(paid),
        "list_price": money(listed), "off_list_price": money(max(listed - paid, 0)),
        "floor": {"price": money(floor), "source": record.get("floor_source"),
                  "rule_id": record.get("floor_rule_id")},
        "promotion_in_force": in_force, "applied": applied, "basis": basis, "explanation": note,
    }  # fmt: skip


def order_view(
    loaded: Loaded, offers: list[OfferRow], decisions: list[RoutingRow]
) -> dict[str, Any]:
    """The whole answer of ``GET /v1/orders/{id}``."""
    row, order = loaded.row, loaded.order
    return {
        "id": row.id,
        "external_id": row.external_id,
        "channel": row.channel,
        "status": str(order.status),
        "fulfilment": str(order.fulfilment),
        "fulfilling_dealer_id": order.fulfilling_dealer_id,
        "originating_dealer_id": order.originating_dealer_id,
        "amount": format_amount(row.amount, row.currency),
        "currency": row.currency,
        "lines": [
            {"sku": ln.sku, "qty": ln.qty, "returned": order.returned.get(ln.sku, 0),
             "unit_price": format_amount(ln.unit_price_minor, row.currency)}
            for ln in order.lines
        ],
        "offers": [
            {"id": o.id, "dealer_id": o.dealer_id, "attempt": o.attempt, "state": o.state,
             "deadline": o.deadline.isoformat(), "decline_reason": o.decline_reason,
             "reservation_request_id": o.request_id}
            for o in offers
        ],
        "reservations": reservations(offers, order.status),
        "pricing": [line_pricing(r, row.currency) for r in loaded.intake.pricing],
        "timeline": [entry.to_dict() for entry in order.timeline],
        "routing": [
            {"attempt": d.attempt, "decided_at": d.decided_at.isoformat(), **d.decision}
            for d in decisions
        ],
    }  # fmt: skip
