"""Customers' details are kept while the work needs them, then cleared from every copy.

An order carries its customer's name, phone and street from intake until the goods change
hands: the accepting store needs them. A retention after the order ends (completed,
cancelled, returned or rejected; ``BATON_PII_RETENTION_DAYS``, 90 days by default) this job
clears them from the order's intake, says so with ``CustomerDetailsCleared`` (the bot clears
its copy and edits the chat messages that named the customer), and trims the streams of the
entries older than the retention that every consumer group is done with. The shop's
customer id stays: it is the shop's opaque reference, and it binds the customer to their
dealer for the orders still to come.

It runs on the orders service's elected scheduler, once an hour, on one replica.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from services.orders.domain.intake_record import IntakeRecord
from services.orders.domain.status import ENDED
from services.orders.models import OrderRow
from shared.bus.streams import trim_before
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.messages.orders import CustomerDetailsCleared
from shared.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 200  # orders cleared in one transaction, named in one message


@dataclass(frozen=True)
class Cleared:
    """What one run of the retention job did."""

    orders: int
    stream_entries: int


async def clear_customer_details(
    db: Database, clock: Clock, retention: timedelta, *, batch: int = BATCH
) -> int:
    """Clear the customers' details of the orders that ended more than ``retention`` ago,
    ``batch`` orders a transaction; returns how many orders were cleared."""
    cutoff = clock.now() - retention
    days = max(1, retention.days)
    cleared = 0
    while True:
        async with unit_of_work(db, clock) as uow:
            query = (
                select(OrderRow)
                .where(
                    col(OrderRow.customer_cleared_at).is_(None),
                    col(OrderRow.status).in_([str(s) for s in ENDED]),
                    col(OrderRow.updated_at) < cutoff,
                )
                .order_by(col(OrderRow.updated_at))
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
            rows = (await uow.session.exec(query)).all()
            for row in rows:
                row.intake = IntakeRecord.read(row.intake).cleared().to_json()
                row.customer_cleared_at = uow.clock.now()
                uow.session.add(row)
            if rows:
                ids = [r.id for r in rows]
                uow.emit(CustomerDetailsCleared(order_ids=ids, retention_days=days))
        cleared += len(rows)
        if len(rows) < batch:
            return cleared


async def apply_retention(runtime: Runtime) -> Cleared:
    """One run of the job: clear what the retention has passed, in the database and streams."""
    retention = timedelta(days=runtime.settings.pii_retention_days)
    orders = await clear_customer_details(runtime.db, runtime.clock, retention)
    entries = await trim_before(runtime.redis, runtime.clock.now() - retention)
    if orders or entries:
        log.info(
            "retention: cleared the customer's details of %d orders that ended over %d days "
            "ago; trimmed %d stream entries older than that",
            orders, retention.days, entries,
        )  # fmt: skip
    return Cleared(orders, entries)
