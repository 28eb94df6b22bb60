"""Loading and saving orders and their offers inside a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.orders import codec
from services.orders.domain.intake_record import IntakeRecord
from services.orders.domain.order import Order
from services.orders.models import OfferRow, OrderRow
from shared.db.rows import StagedRows, update_rows
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

    def stage(self, uow: UnitOfWork, staged: Staged) -> None:
        """Give the row the aggregate's values, to be written with ``staged``, and announce
        a change of status, if there was one."""
        order, row = self.order, self.row
        values = {
            "aggregate": codec.dump(order), "status": str(order.status),
            "fulfilling_dealer_id": order.fulfilling_dealer_id,
            "originating_dealer_id": order.originating_dealer_id,
            "updated_at": uow.clock.now(),
        }  # fmt: skip
        staged.orders.stage(row, values)
        if row.status != self.status_before:
            uow.emit(status_changed(row, self.status_before, uow.clock.now()))
            self.status_before = row.status

    async def save(self, uow: UnitOfWork) -> None:
        """Write the aggregate back (one Core UPDATE) and announce a change of status.

        The row is brought in step as if just read, so the session has nothing to flush
        for it before the next message's reads.
        """
        staged = Staged()
        self.stage(uow, staged)
        await staged.write(uow)


class Staged:
    """Orders and offers changed in a unit of work, written together by ``write``: a batch
    of messages changes its rows in one statement for each kind of change."""

    def __init__(self) -> None:
        self.orders = StagedRows(_ORDERS, _BY_ID)
        self.offers = StagedRows(_OFFERS, _BY_ID)

    async def write(self, uow: UnitOfWork) -> None:
        """Write every staged change."""
        await self.orders.write(uow.session)
        await self.offers.write(uow.session)


async def save_offer(uow: UnitOfWork, offer: OfferRow, **changes: object) -> None:
    """Write changed columns of one offer (a Core UPDATE, as ``Loaded.save``)."""
    await update_rows(uow.session, _OFFERS, _BY_ID, [(offer, changes)])


async def save_pickup_failures(uow: UnitOfWork, loaded: Loaded, failures: int) -> None:
    """Write how many wrong pickup codes the order has seen."""
    await update_rows(uow.session, _ORDERS, _BY_ID, [(loaded.row, {"pickup_failures": failures})])


def status_changed(row: OrderRow, previous: str | None, at: datetime) -> OrderStatusChanged:
    """The event of ``row`` having moved from ``previous`` (None: just received)."""
    return OrderStatusChanged(
        order_id=row.id, external_id=row.external_id, channel=row.channel,
        status=row.status, previous=previous,
        fulfilling_dealer_id=row.fulfilling_dealer_id,
        originating_dealer_id=row.originating_dealer_id, at=at, region=row.region,
        amount_minor=row.amount, currency=row.currency, created_at=row.created_at,
    )  # fmt: skip


_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_OFFERS: Table = OfferRow.__table__  # type: ignore[attr-defined]
_BY_ID = ("id",)


async def load_order(session: AsyncSession, order_id: str, *, lock: bool = True) -> Loaded | None:
    """The order with its aggregate (row-locked for the transaction), or None."""
    row = await session.get(OrderRow, order_id, with_for_update=lock)
    return None if row is None else Loaded(row)


_ORDERS_BY_ID = (
    select(OrderRow)
    .where(col(OrderRow.id).in_(bindparam("ids", expanding=True)))
    .order_by(col(OrderRow.id))  # locked in one order, so two batches cannot wait in a circle
    .with_for_update()
)


async def load_orders(session: AsyncSession, order_ids: Sequence[str]) -> dict[str, Loaded]:
    """The orders of ``order_ids`` with their aggregates, row-locked in one query."""
    found = await session.exec(_ORDERS_BY_ID, params={"ids": sorted(set(order_ids))})
    return {row.id: Loaded(row) for row in found.all()}


async def offer_by_id(session: AsyncSession, offer_id: str) -> OfferRow | None:
    """One offer, row-locked."""
    return await session.get(OfferRow, offer_id, with_for_update=True)


async def offers_of(session: AsyncSession, order_id: str) -> list[OfferRow]:
    """Every offer made for an order, oldest first."""
    query = select(OfferRow).where(col(OfferRow.order_id) == order_id)
    return sorted((await session.exec(query)).all(), key=lambda o: (o.attempt, o.created_at))
