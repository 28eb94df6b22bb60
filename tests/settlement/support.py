"""Sales, events and ledger reads for the settlement tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from services.settlement.handlers import build_handlers
from services.settlement.models import LedgerEntry, LedgerTransaction
from services.settlement.split_rules import SplitConfig
from shared.bus.handling import Context, Handler
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.messages import Envelope, Message
from shared.messages.orders import SaleLine
from shared.messages.settlement import (
    SaleAccepted,
    SaleHandedOver,
    SaleLinesReturned,
    SaleSnapshot,
    SaleVoided,
)

WINDOW = timedelta(days=7)
ZONE = ZoneInfo("Asia/Shanghai")  # BATON_SETTLEMENT_TZ's default
PHONE = SaleLine(
    sku="PX-1", category="phones", qty=1, unit_price=199900, list_price=199900,
    wholesale_price=150000,
)  # fmt: skip
CASE = SaleLine(
    sku="CASE-1", category="accessories", qty=3, unit_price=9900, list_price=9900,
    wholesale_price=4000,
)  # fmt: skip


def snapshot(
    order_id: str = "o1",
    *lines: SaleLine,
    at: datetime,
    fulfil: str = "B",
    origin: str | None = "A",
    payment: str = "prepaid",
    handed_over_at: datetime | None = None,
    **extra: Any,
) -> SaleSnapshot:
    """A sale of ``lines`` (a phone by default) accepted at ``at``."""
    return SaleSnapshot(
        order_id=order_id, channel="mall", currency="CNY", payment=payment,
        fulfilling_dealer_id=fulfil, originating_dealer_id=origin,
        lines=list(lines or (PHONE,)), accepted_at=at, handed_over_at=handed_over_at, **extra,
    )  # fmt: skip


def stages(sale: SaleSnapshot, handed_at: datetime) -> tuple[SaleAccepted, SaleHandedOver]:
    """The accepted and handed-over events of a sale."""
    handed = sale.model_copy(update={"handed_over_at": handed_at})
    return SaleAccepted(sale=sale), SaleHandedOver(sale=handed)


def returned(sale: SaleSnapshot, rid: str, at: datetime, **lines: int) -> SaleLinesReturned:
    """A return of ``lines`` (SKU with ``-`` as ``_``: ``PX_1=1``)."""
    skus = {k.replace("_", "-"): v for k, v in lines.items()}
    return SaleLinesReturned(sale=sale, return_id=rid, lines=skus, at=at)


def voided(sale: SaleSnapshot, at: datetime) -> SaleVoided:
    """The sale cancelled after acceptance."""
    return SaleVoided(sale=sale, reason="customer changed their mind", at=at)


class Books:
    """Applies settlement events as the consumer does: one unit of work per message."""

    def __init__(self, db: Database, clock: FakeClock, config: SplitConfig | None = None) -> None:
        self.db = db
        self.clock = clock
        self.handlers: dict[type[Message], Handler] = build_handlers(
            config or SplitConfig(), WINDOW, ZONE
        )

    async def apply(self, *messages: Message) -> None:
        for message in messages:
            envelope = Envelope.wrap(message, self.clock)
            async with unit_of_work(self.db, self.clock, envelope) as uow:
                await self.handlers[type(message)](message, Context(envelope, uow, self.clock, 1))


async def balances(db: Database) -> dict[str, int]:
    """Every account's non-zero balance."""
    query = select(LedgerEntry.account, func.sum(LedgerEntry.amount)).group_by(
        col(LedgerEntry.account)
    )
    async with db.read() as session:
        rows = (await session.exec(query)).all()
    return {account: int(total) for account, total in rows if total}


async def transaction_keys(db: Database) -> list[str]:
    """Every transaction's key, oldest first."""
    query = select(LedgerTransaction.key).order_by(col(LedgerTransaction.id))
    async with db.read() as session:
        return list((await session.exec(query)).all())
