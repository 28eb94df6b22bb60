"""Loading and saving orders and their offers inside a unit of work."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.orders import codec
from services.orders.domain.intake_record import IntakeRecord
from services.orders.domain.order import Order
from services.orders.models import OfferRow, OrderRow
from shared.db.rows import update_rows
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
        await update_rows(uow.session, _ORDERS, _BY_ID, [(row, values)])
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
    """Write changed columns of one offer (a Core UPDATE, as ``Loaded.save``)."""
    await update_rows(uow.session, _OFFERS, _BY_ID, [(offer, changes)])


async def save_pickup_failures(uow: UnitOfWork, loaded: Loaded, failures: int) -> None:
    """Write how many wrong pickup codes the order has seen."""
    await update_rows(uow.session, _ORDERS, _BY_ID, [(loaded.row, {"pickup_failures": failures})])


_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_OFFERS: Table = OfferRow.__table__  # type: ignore[attr-defined]
_BY_ID = ("id",)


async def load_order(session: AsyncSession, order_id: str, *, lock: bool = True) -> Loaded | None:
    """The order with its aggregate (row-locked for the transaction), or None."""
    row = await session.get(OrderRow, order_id, with_for_update=lock)
    return None if row is None else Loaded(row)


async def offer_by_id(session: AsyncSession, offer_id: str) -> OfferRow | None:
    """One offer, row-locked."""
    return await session.get(OfferRow, offer_id, with_for_update=True)


async def offers_of(session: AsyncSession, order_id: str) -> list[OfferRow]:
    """Every offer made for an order, oldest first."""
    query = select(OfferRow).where(col(OfferRow.order_id) == order_id)
    return sorted((await session.exec(query)).all(), key=lambda o: (o.attempt, o.created_at))
