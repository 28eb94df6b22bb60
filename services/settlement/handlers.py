"""The settlement consumer's handlers: each order event books its stage, once.

An order's row (``settlement_orders``) is locked for the transaction, so the stages of one
order are booked one at a time whatever the number of replicas. Each stage's transaction
is keyed ``order:{id}:{stage}`` (returns ``order:{id}:return:{return id}``): a redelivered
event finds its key and posts nothing.

Out of order: every event carries the sale's snapshot, and booking a stage first books
the stages it implies (a handover implies the acceptance, a return the handover). A late
predecessor then finds its key taken. A cancellation that arrives after the handover was
booked cannot be honoured (the orders service refuses to cancel after handover, so this
means a bug upstream) and is logged and left alone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.settlement import book
from services.settlement.ledger import entries_of, order_bucket, post, posted
from services.settlement.models import SettledOrder
from services.settlement.split import split_sale
from services.settlement.split_rules import SplitConfig
from shared.bus.handling import Context, Handler
from shared.db.uow import UnitOfWork
from shared.messages import Message
from shared.messages.settlement import (
    ReleaseEarnings,
    SaleAccepted,
    SaleHandedOver,
    SaleLinesReturned,
    SaleSnapshot,
    SaleVoided,
)

log = logging.getLogger(__name__)


def hold_key(order_id: str) -> str:
    """The key of an order's hold transaction."""
    return f"order:{order_id}:accepted"


def release_timer(order_id: str) -> str:
    """The durable timer that ends an order's return window."""
    return f"settlement:release:{order_id}"


class Books:
    """Books order events with one split configuration, return window and settlement zone
    (whose days the earnings summary counts in)."""

    def __init__(self, config: SplitConfig, return_window: timedelta, zone: ZoneInfo) -> None:
        self.config = config
        self.window = return_window
        self.zone = zone

    async def held(self, uow: UnitOfWork, sale: SaleSnapshot) -> SettledOrder:
        """The order's row, locked; on first sight it is created and the hold posted."""
        now = uow.clock.now()
        connection = await uow.session.connection()
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        table = SettledOrder.__table__  # type: ignore[attr-defined]
        values: dict[str, Any] = {
            "order_id": sale.order_id, "channel": sale.channel, "currency": sale.currency,
            "payment": sale.payment, "fulfilling_dealer_id": sale.fulfilling_dealer_id,
            "originating_dealer_id": sale.originating_dealer_id,
            "fulfilled_by_hq": sale.fulfilled_by_hq,
            "lines": [line.model_dump(mode="json") for line in sale.lines],
            "state": "held", "returned": {}, "accepted_at": sale.accepted_at,
            "updated_at": now,
        }  # fmt: skip
        statement = (
            insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["order_id"])
            .returning(table.c.order_id)
        )
        created = (await connection.execute(statement)).scalar() is not None
        row = await uow.session.get(
            SettledOrder, sale.order_id, with_for_update=True, populate_existing=True
        )
        assert row is not None
        if created:
            entries = book.hold_entries(split_sale(book.sale_of(sale), self.config))
            await post(
                uow, key=hold_key(sale.order_id), kind="hold", currency=sale.currency,
                at=sale.accepted_at, now=now, zone=self.zone, entries=entries,
                order_id=sale.order_id,
            )  # fmt: skip
        return row

    async def voided(self, uow: UnitOfWork, sale: SaleSnapshot, at: datetime) -> None:
        """Release the hold of an order cancelled after acceptance."""
        row = await self.held(uow, sale)
        if row.state == "voided":
            return
        if row.state != "held":
            log.error("order %s: cancelled after its handover was booked; ignored", row.order_id)
            return
        hold = await entries_of(uow.session, hold_key(row.order_id))
        await post(
            uow, key=f"order:{row.order_id}:voided", kind="void", currency=row.currency,
            at=at, now=uow.clock.now(), zone=self.zone, entries=book.negated(hold),
            order_id=row.order_id,
        )  # fmt: skip
        row.state, row.voided_at = "voided", at
        self._save(uow, row)

    async def handed_over(self, uow: UnitOfWork, sale: SaleSnapshot) -> SettledOrder | None:
        """Move the held shares to pending and start the return window (None if voided)."""
        row = await self.held(uow, sale)
        if row.state == "voided":
            log.error("order %s: handed over after it was voided; ignored", row.order_id)
            return None
        if row.state != "held":
            return row
        at = sale.handed_over_at or sale.accepted_at
        held = await order_bucket(uow.session, row.order_id, "held")
        entries = book.moved(held, "held", "pending") + book.collected(book.sale_of(sale))
        await post(
            uow, key=f"order:{row.order_id}:handed_over", kind="handover",
            currency=row.currency, at=at, now=uow.clock.now(), zone=self.zone, entries=entries,
            order_id=row.order_id,
        )  # fmt: skip
        row.state, row.handed_over_at, row.available_at = "pending", at, at + self.window
        self._save(uow, row)
        uow.set_timer(
            release_timer(row.order_id), at + self.window, ReleaseEarnings(order_id=row.order_id)
        )
        return row

    async def returned(self, uow: UnitOfWork, msg: SaleLinesReturned) -> None:
        """Reverse exactly the returned lines' parts, from wherever the money now is."""
        row = await self.handed_over(uow, msg.sale)
        if row is None:
            return
        key = f"order:{row.order_id}:return:{msg.return_id}"
        if await posted(uow.session, key):
            return  # the same return, delivered again
        hold = await entries_of(uow.session, hold_key(row.order_id))
        entries = book.returned_entries(
            book.sale_of(msg.sale), book.posted_parts(hold, row.channel), row.returned,
            msg.lines, "available" if row.state == "available" else "pending",
        )  # fmt: skip
        await post(
            uow, key=key, kind="return", currency=row.currency, at=msg.at,
            now=uow.clock.now(), zone=self.zone, entries=entries, order_id=row.order_id,
            detail={"return_id": msg.return_id, "lines": dict(msg.lines)},
        )  # fmt: skip
        returned = dict(row.returned)
        for sku, qty in msg.lines.items():
            returned[sku] = returned.get(sku, 0) + qty
        row.returned = returned
        self._save(uow, row)

    async def released(self, uow: UnitOfWork, order_id: str) -> None:
        """The return window is over: the order's pending shares become available."""
        row = await uow.session.get(SettledOrder, order_id, with_for_update=True)
        if row is None or row.state != "pending":
            return
        at = row.available_at or uow.clock.now()
        pending = await order_bucket(uow.session, order_id, "pending")
        await post(
            uow, key=f"order:{order_id}:released", kind="release", currency=row.currency,
            at=at, now=uow.clock.now(), zone=self.zone,
            entries=book.moved(pending, "pending", "available"), order_id=order_id,
        )  # fmt: skip
        row.state = "available"
        self._save(uow, row)

    @staticmethod
    def _save(uow: UnitOfWork, row: SettledOrder) -> None:
        row.updated_at = uow.clock.now()
        uow.session.add(row)


async def sale_accepted(msg: SaleAccepted, ctx: Context, books: Books) -> None:
    """A dealer accepted: hold each share of the sale."""
    await books.held(ctx.uow, msg.sale)


async def sale_voided(msg: SaleVoided, ctx: Context, books: Books) -> None:
    """The sale ended before handover: reverse what was held."""
    await books.voided(ctx.uow, msg.sale, msg.at)


async def sale_handed_over(msg: SaleHandedOver, ctx: Context, books: Books) -> None:
    """The goods were handed over: the shares become pending, the return window starts."""
    await books.handed_over(ctx.uow, msg.sale)


async def sale_lines_returned(msg: SaleLinesReturned, ctx: Context, books: Books) -> None:
    """Lines came back: reverse their part of each share."""
    await books.returned(ctx.uow, msg)


async def release_earnings(msg: ReleaseEarnings, ctx: Context, books: Books) -> None:
    """The return window ended: the shares become available."""
    await books.released(ctx.uow, msg.order_id)


def build_handlers(
    config: SplitConfig, return_window: timedelta, zone: ZoneInfo
) -> dict[type[Message], Handler]:
    """The settlement consumer's handler table, bound to one set of books."""
    books = Books(config, return_window, zone)
    return {
        SaleAccepted: partial(sale_accepted, books=books),
        SaleVoided: partial(sale_voided, books=books),
        SaleHandedOver: partial(sale_handed_over, books=books),
        SaleLinesReturned: partial(sale_lines_returned, books=books),
        ReleaseEarnings: partial(release_earnings, books=books),
    }
