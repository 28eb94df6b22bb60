"""The order aggregate as a JSON document and back, for its row in the ``orders`` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.orders.domain.order import Offer, Order, OrderLine, TimelineEntry
from services.orders.domain.status import Fulfilment, OrderStatus


def dump(order: Order) -> dict[str, Any]:
    """The aggregate as plain JSON-able data."""
    offer = order.current_offer
    return {
        "id": order.id,
        "fulfilment": str(order.fulfilment),
        "lines": [[ln.sku, ln.qty, ln.unit_price_minor] for ln in order.lines],
        "status": str(order.status),
        "fulfilling_dealer_id": order.fulfilling_dealer_id,
        "originating_dealer_id": order.originating_dealer_id,
        "attempts": order.attempts,
        "current_offer": None
        if offer is None
        else {
            "offer_id": offer.offer_id,
            "dealer_ids": list(offer.dealer_ids),
            "deadline": offer.deadline.isoformat(),
            "grab": offer.grab,
            "declined": sorted(offer.declined),
        },
        "tried": list(order.tried),
        "returned": dict(order.returned),
        "timeline": [entry.to_dict() for entry in order.timeline],
    }


def load(data: dict[str, Any]) -> Order:
    """The aggregate from what ``dump`` wrote."""
    offer = data["current_offer"]
    status = OrderStatus(data["status"])
    return Order(
        id=data["id"],
        fulfilment=Fulfilment(data["fulfilment"]),
        lines=tuple(OrderLine(sku, qty, price) for sku, qty, price in data["lines"]),
        status=status,
        fulfilling_dealer_id=data["fulfilling_dealer_id"],
        originating_dealer_id=data["originating_dealer_id"],
        attempts=data["attempts"],
        current_offer=None
        if offer is None
        else Offer(
            offer_id=offer["offer_id"],
            dealer_ids=tuple(offer["dealer_ids"]),
            deadline=datetime.fromisoformat(offer["deadline"]),
            grab=offer["grab"],
            declined=frozenset(offer["declined"]),
        ),
        tried=list(data["tried"]),
        returned=dict(data["returned"]),
        timeline=[
            TimelineEntry(
                at=datetime.fromisoformat(e["at"]),
                step=e["step"],
                actor=e["actor"],
                detail=e["detail"],
            )
            for e in data["timeline"]
        ],
    )
