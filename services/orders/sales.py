"""Tell settlement about an order's money moments, in the same transaction as the move.

Each event carries the sale as a snapshot (``shared.messages.settlement.SaleSnapshot``):
the lines as sold at intake, who fulfils and who originated the order, the payment, and
the times of acceptance and handover from the order's timeline.
"""

from __future__ import annotations

from datetime import datetime

from services.catalog import public as catalog
from services.orders.domain.order import Order
from services.orders.repository import Loaded
from shared.db.uow import UnitOfWork
from shared.messages.orders import SaleLine
from shared.messages.settlement import (
    SaleAccepted,
    SaleHandedOver,
    SaleLinesReturned,
    SaleSnapshot,
    SaleVoided,
)


def _when(order: Order, steps: tuple[str, ...]) -> datetime | None:
    """The time of the last timeline entry with one of ``steps``."""
    times = [entry.at for entry in order.timeline if entry.step in steps]
    return times[-1] if times else None


async def _lines(uow: UnitOfWork, loaded: Loaded) -> list[SaleLine]:
    if loaded.intake.sale_lines:
        return list(loaded.intake.sale_lines)
    # Orders taken in before intake recorded the lines as sold: the catalog's prices now.
    skus = [line.sku for line in loaded.order.lines]
    products = await catalog.products(uow.session, skus)
    result = []
    for line in loaded.order.lines:
        product = products.get(line.sku)
        result.append(
            SaleLine(
                sku=line.sku, category=product.category if product else "", qty=line.qty,
                unit_price=line.unit_price_minor,
                list_price=product.list_price if product else line.unit_price_minor,
                wholesale_price=product.wholesale_price if product else 0,
            )
        )  # fmt: skip
    return result


async def snapshot(uow: UnitOfWork, loaded: Loaded) -> SaleSnapshot | None:
    """The sale as settlement books it; None before a dealer accepted the order."""
    row, order = loaded.row, loaded.order
    dealer_id = order.fulfilling_dealer_id
    if dealer_id is None:
        return None
    dealer = await catalog.dealer(uow.session, dealer_id)
    return SaleSnapshot(
        order_id=row.id, channel=row.channel, currency=row.currency,
        payment=loaded.intake.payment, fulfilling_dealer_id=dealer_id,
        originating_dealer_id=order.originating_dealer_id,
        fulfilled_by_hq=bool(dealer is not None and dealer.warehouse),
        lines=await _lines(uow, loaded),
        accepted_at=_when(order, ("accepted", "taken")) or uow.clock.now(),
        handed_over_at=_when(order, ("completed",)),
    )  # fmt: skip


async def accepted(uow: UnitOfWork, loaded: Loaded) -> None:
    """A dealer accepted: settlement holds the shares."""
    sale = await snapshot(uow, loaded)
    if sale is not None:
        uow.emit(SaleAccepted(sale=sale))


async def voided(uow: UnitOfWork, loaded: Loaded, reason: str) -> None:
    """An order cancelled after a dealer accepted it: settlement voids the hold."""
    sale = await snapshot(uow, loaded)
    if sale is not None:
        uow.emit(SaleVoided(sale=sale, reason=reason[:200], at=uow.clock.now()))


async def handed_over(uow: UnitOfWork, loaded: Loaded) -> None:
    """The goods changed hands: the shares wait out the return window."""
    sale = await snapshot(uow, loaded)
    if sale is not None:
        uow.emit(SaleHandedOver(sale=sale))


async def returned(uow: UnitOfWork, loaded: Loaded, return_id: str, lines: dict[str, int]) -> None:
    """Units came back: settlement reverses exactly their parts."""
    sale = await snapshot(uow, loaded)
    if sale is not None:
        uow.emit(SaleLinesReturned(sale=sale, return_id=return_id, lines=lines, at=uow.clock.now()))
