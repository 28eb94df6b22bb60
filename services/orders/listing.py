"""Orders as a list: filtered, newest first, a page at a time (``GET /v1/orders``).

A list row carries what HQ and finance sort and add up by, never the customer's details:
those are on the order's own page, for as long as they are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, and_, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.orders.models import OrderRow

_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    "id", "external_id", "channel", "status", "region", "fulfilling_dealer_id",
    "originating_dealer_id", "amount", "currency", "created_at", "updated_at",
)  # fmt: skip
REFERENCE_LENGTH = 6  # the short order number staff type in chat: six characters of the id


@dataclass(frozen=True)
class OrderFilter:
    """What a list of orders is narrowed to; None leaves a field open."""

    status: str | None = None
    channel: str | None = None
    region: str | None = None
    fulfilling_dealer_id: str | None = None
    originating_dealer_id: str | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before
    text: str | None = None  # the shop's external id (its start), or the order's id or number


class OrderSummary(BaseModel):
    """One order in a list (amounts in minor units)."""

    id: str
    external_id: str
    channel: str
    status: str
    region: str
    fulfilling_dealer_id: str | None
    originating_dealer_id: str | None
    amount_minor: int
    currency: str
    created_at: datetime
    updated_at: datetime


async def list_orders(
    session: AsyncSession, where: OrderFilter, limit: int, after: tuple[datetime, str] | None
) -> list[OrderSummary]:
    """Up to ``limit`` orders matching ``where``, newest first, from after the (created
    time, id) of the last order of the page before."""
    table = _ORDERS.c
    statement = select(*(table[name] for name in _COLUMNS))
    for name, value in (
        ("status", where.status), ("channel", where.channel), ("region", where.region),
        ("fulfilling_dealer_id", where.fulfilling_dealer_id),
        ("originating_dealer_id", where.originating_dealer_id),
    ):  # fmt: skip
        if value is not None:
            statement = statement.where(table[name] == value)
    if where.since is not None:
        statement = statement.where(table.created_at >= where.since)
    if where.until is not None:
        statement = statement.where(table.created_at < where.until)
    if where.text:
        statement = statement.where(_matching(where.text))
    if after is not None:
        at, last_id = after
        statement = statement.where(
            or_(table.created_at < at, and_(table.created_at == at, table.id < last_id))
        )
    statement = statement.order_by(table.created_at.desc(), table.id.desc()).limit(limit)
    connection = await session.connection()
    return [_summary(row._mapping) for row in await connection.execute(statement)]


def _matching(text: str) -> Any:
    """Orders whose external id starts with ``text``, or whose id is ``text`` or starts
    with the order number ``text`` (six characters, as chat shows them)."""
    table = _ORDERS.c
    found = [table.external_id.startswith(text, autoescape=True), table.id == text]
    if len(text) == REFERENCE_LENGTH and text.isalnum():
        found.append(table.id.startswith(f"o_{text.lower()}", autoescape=True))
    return or_(*found)


def _summary(row: Any) -> OrderSummary:
    values = dict(row)
    values["amount_minor"] = values.pop("amount")
    return OrderSummary.model_validate(values)
