"""Values an order is made of: lines, its open offer, timeline entries; the refusal error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.orders.domain.status import OrderStatus


class IllegalTransition(Exception):
    """An action the order's status, or the action's arguments, do not allow."""

    def __init__(self, status: OrderStatus, action: str, why: str) -> None:
        super().__init__(f"{status}: cannot {action}: {why}")
        self.status = status
        self.action = action
        self.why = why


def utc(at: datetime) -> datetime:
    """``at`` converted to UTC; a naive datetime is refused."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone; pass an aware UTC datetime")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class TimelineEntry:
    """One step of an order's history: when, what, who, and the step's details (JSON-able)."""

    at: datetime
    step: str
    actor: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The entry as plain JSON-able data."""
        return {
            "at": self.at.isoformat(),
            "step": self.step,
            "actor": self.actor,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class OrderLine:
    """A quantity of one SKU at a unit price in minor units."""

    sku: str
    qty: int
    unit_price_minor: int = 0


@dataclass(frozen=True)
class Offer:
    """The open offer: to one dealer (sequential) or to several at once (grab)."""

    offer_id: str
    dealer_ids: tuple[str, ...]
    deadline: datetime
    grab: bool = False
    declined: frozenset[str] = frozenset()

    @property
    def waiting_on(self) -> tuple[str, ...]:
        """The offered dealers that have not declined."""
        return tuple(d for d in self.dealer_ids if d not in self.declined)
