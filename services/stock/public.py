"""The stock service's public face: what other services and the bot may ask of it.

Reads come from the stock service's own view in Redis (what routing and ``/stock`` show)
or from its tables through the queries here; changes go to it as messages on the bus.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from services.stock.models import StockLevel
from services.stock.view import avail_key, availability

__all__ = ["availability", "available_at", "last_reported"]


async def available_at(redis: Redis, dealer_id: str) -> dict[str, int]:
    """Units available of every SKU the dealer has a level for, from the view."""
    raw: dict[Any, Any] = await redis.hgetall(avail_key(dealer_id))
    return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}


def last_reported(dealer_ids: Sequence[str] | None = None) -> Select[str, datetime | None]:
    """A query of each dealer's id (of ``dealer_ids``, if given) and the time of its latest
    count of any SKU."""
    query = select(StockLevel.dealer_id, func.max(StockLevel.reported_at)).group_by(
        col(StockLevel.dealer_id)
    )
    if dealer_ids is not None:
        query = query.where(col(StockLevel.dealer_id).in_(list(dealer_ids)))
    return query
