"""Loading and saving orders and their offers inside a unit of work."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.orders import codec
from services.orders.domain.intake_record import IntakeRecord
from services.orders.domain.order import Order
from services.orders.models import OfferRow, OrderRow
from shared.db.uow import UnitOfWork
from shared.messages.orders import OrderStatusChanged


class Loaded:
    """An order's row with its aggregate, saved back together."""

    def __init__(
        self, row: OrderRow, order: Order | None = None, intake: IntakeRecord | None = None
    ) -> None:
        """``order`` and ``intake`` are given for an order just made, else read from ``row``."""
        self.row = row
        self.order = order if order is not None else codec.load(row.aggregate)
        self.status_before = str(self.order.status)
        self._intake = intake

    @property
    def intake(self) -> IntakeRecord:
        """What the shop sent and intake worked out; read when first asked, never written back."""
        if self._intake is None:
            self._intake = IntakeRecord.read(self.row.intake)
        return self._intake

    async def save(self, uow: UnitOfWork) -> None:
        """Write the aggregate back and announce a change of status, if there was one.

        One Core UPDATE; the row is brought in step as if just read, so the session has
        nothing to flush for it before the next message's reads.
        """
        order, row = self.order, self.row
        values = {
            "aggregate": codec.dump(order), "status": str(order.status),
            "fulfilling_dealer_id": order.fulfilling_dealer_id,
            "originating_dealer_id": order.originating_dealer_id,
            "updated_at": uow.clock.now(),
        }  # fmt: skip
        await _update(uow, _ORDERS, row, values)
        if row.status != self.status_before:
            uow.emit(
                OrderStatusChanged(
                    order_id=row.id,
                    external_id=row.external_id,
                    channel=row.channel,
                    status=row.status,
                    previous=self.status_before,
                    fulfilling_dealer_id=row.fulfilling_dealer_id,
                    originating_dealer_id=row.originating_dealer_id,
                    at=uow.clock.now(),
                )
            )
            self.status_before = row.status


async def save_offer(uow: UnitOfWork, offer: OfferRow, **changes: object) -> None:
    """Write changed columns of one offer (Core, as ``Loaded.save``)."""
    await _update(uow, _OFFERS, offer, changes)


_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_OFFERS: Table = OfferRow.__table__  # type: ignore[attr-defined]


async def _update(uow: UnitOfWork, table: Table, row: Any, values: Mapping[str, object]) -> None:
    for key, value in values.items():
        set_committed_value(row, key, value)
    connection = await uow.session.connection()
    await connection.execute(_update_of(table, tuple(values)), {"key_id": row.id, **values})


@functools.cache
def _update_of(table: Table, columns: tuple[str, ...]) -> Any:
    """UPDATE ``table`` SET ``columns`` WHERE id = :key_id, built once per set of columns."""
    return (
        update(table)
        .where(table.c.id == bindparam("key_id"))
        .values({name: bindparam(name) for name in columns})
    )


async def load_order(session: AsyncSession, order_id: str, *, lock: bool = True) -> Loaded | None:
    """The order with its aggregate (row-locked for the transaction), or None."""
    row = await session.get(OrderRow, order_id, with_for_update=lock)
    return None if row is None else Loaded(row)


async def offer_by_id(session: AsyncSession, offer_id: str) -> OfferRow | None:
    """One offer, row-locked."""
    return await session.get(OfferRow, offer_id, with_for_update=True)


_ASKED = aliased(OfferRow)
_ROUND_OF_REQUEST = (
    select(OfferRow)
    .join(
        _ASKED,
        (col(_ASKED.order_id) == col(OfferRow.order_id))
        & (col(_ASKED.attempt) == col(OfferRow.attempt)),
    )
    .where(col(_ASKED.request_id) == bindparam("request_id"))
    .with_for_update()
)


async def round_of_request(
    session: AsyncSession, request_id: str
) -> tuple[OfferRow | None, list[OfferRow]]:
    """The offer whose stock reservation is ``request_id`` (None if there is none) and every
    offer of its round, itself included: row-locked, in one query."""
    found = await session.exec(_ROUND_OF_REQUEST, params={"request_id": request_id})
    in_round = list(found.all())
    return next((o for o in in_round if o.request_id == request_id), None), in_round


async def offers_of(session: AsyncSession, order_id: str) -> list[OfferRow]:
    """Every offer made for an order, oldest first."""
    query = select(OfferRow).where(col(OfferRow.order_id) == order_id)
    return sorted((await session.exec(query)).all(), key=lambda o: (o.attempt, o.created_at))
