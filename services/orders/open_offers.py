"""Offers waiting in dealers' chats, soonest to expire first (``GET /v1/offers``).

An open offer is one in a dealer's chat, not yet answered (``offered``): HQ watches those
about to expire, to call a store before its order goes elsewhere. A row names the order,
the dealer and the shop's channel (a channel's key sees only its own), never the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Table, and_, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.orders.domain.offer_state import OfferState
from services.orders.models import OfferRow, OrderRow

_OFFERS: Table = OfferRow.__table__  # type: ignore[attr-defined]
_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OfferFilter:
    """Which open offers: of one channel (None: all), expiring by ``until`` (None: any)."""

    channel: str | None = None
    until: datetime | None = None


class OpenOffer(BaseModel):
    """One offer in a dealer's chat, waiting for an answer."""

    offer_id: str
    order_id: str
    dealer_id: str
    channel: str
    attempt: int = Field(description="the routing attempt it belongs to (1: the first)")
    offered_at: datetime | None
    expires_at: datetime
    seconds_left: int = Field(description="until it expires; 0: due, its timer about to fire")


async def open_offers(
    session: AsyncSession,
    where: OfferFilter,
    now: datetime,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[OpenOffer]:
    """Up to ``limit`` open offers matching ``where``, soonest to expire first, after the
    (expiry, offer id) of the last one of the page before."""
    o, order = _OFFERS.c, _ORDERS.c
    query = (
        select(o.id, o.order_id, o.dealer_id, order.channel, o.attempt, o.offered_at, o.deadline)
        .join_from(_OFFERS, _ORDERS, order.id == o.order_id)
        .where(o.state == OfferState.OFFERED)
    )
    if where.channel is not None:
        query = query.where(order.channel == where.channel)
    if where.until is not None:
        query = query.where(o.deadline <= where.until)
    if after is not None:
        at, last_id = after
        query = query.where(or_(o.deadline > at, and_(o.deadline == at, o.id > last_id)))
    query = query.order_by(o.deadline, o.id).limit(limit)
    connection = await session.connection()
    return [_open_offer(row, now) for row in await connection.execute(query)]


def _open_offer(row: Any, now: datetime) -> OpenOffer:
    return OpenOffer(
        offer_id=row.id, order_id=row.order_id, dealer_id=row.dealer_id, channel=row.channel,
        attempt=row.attempt, offered_at=row.offered_at, expires_at=row.deadline,
        seconds_left=max(0, int((row.deadline - now).total_seconds())),
    )  # fmt: skip
