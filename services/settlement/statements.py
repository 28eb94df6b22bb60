"""Weekly statements: close last week, write the payout file, tell every dealer owner.

Each owner gets a message and a CSV document through the chat outbox in the bulk lane,
keyed ``statement:{period}:{user}:text|csv``: running the job again for the same week
queues nothing new, and the payout batch is idempotent per period, so a second leader
running late (see ``shared.leader``) doubles nothing.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from services.catalog.public import dealer_names
from services.settlement.earnings import Line, earnings_in, statement_lines
from services.settlement.models import PayoutLine
from services.settlement.payouts import close_period, payout_csv, write_atomically
from services.settlement.periods import Period, PeriodError, previous_week
from services.settlement.texts import statement_text
from shared.chat.i18n import language_of, t
from shared.chat.models import ChatUser
from shared.chat.outbox import submit
from shared.chat.payloads import MAX_DOCUMENT_BYTES, Lane
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import UnitOfWork, unit_of_work
from shared.money import format_amount

log = logging.getLogger(__name__)
CHUNK = 100
CSV_HEADER = ["time", "event", "order", "sku", "kind", "state", "amount", "currency"]


def statement_csv(lines: Sequence[Line], tz: ZoneInfo) -> str:
    """A dealer's statement as CSV: every entry on their accounts, local times."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in lines:
        writer.writerow(
            [line.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), line.event, line.order_id or "",
             line.sku or "", line.share or "", line.bucket or "",
             format_amount(line.amount, line.currency), line.currency]
        )  # fmt: skip
    return out.getvalue()


def payout_file(data_dir: Path, period: Period) -> Path:
    """Where the scheduled close writes the finance payout CSV."""
    return data_dir / "payouts" / f"payouts-{period.label}.csv"


async def weekly(db: Database, clock: Clock, tz: ZoneInfo, data_dir: Path) -> int:
    """The calendar job: close last week, write its payout file, queue the statements."""
    period = previous_week(clock.now(), tz)
    try:
        closed = await close_period(db, clock, period, "scheduler")
        write_atomically(payout_file(data_dir, period), payout_csv(closed.lines))
    except PeriodError as exc:
        log.warning("weekly close of %s skipped: %s", period.label, exc)
    queued = await send_statements(db, clock, period, tz)
    log.info("statements for %s: %d messages queued", period.label, queued)
    return queued


async def send_statements(db: Database, clock: Clock, period: Period, tz: ZoneInfo) -> int:
    """Queue every dealer owner's statement for ``period``; returns how many were new."""
    queued, last = 0, ""
    owner = (col(ChatUser.role) == "owner", col(ChatUser.active))
    while True:
        async with db.read() as session:
            dealers = list(
                (
                    await session.exec(
                        select(ChatUser.dealer_id)
                        .where(*owner, col(ChatUser.dealer_id) > last)
                        .group_by(col(ChatUser.dealer_id))
                        .order_by(col(ChatUser.dealer_id))
                        .limit(CHUNK)
                    )
                ).all()
            )
            if not dealers:
                return queued
            owners = (
                await session.exec(
                    select(ChatUser)
                    .where(*owner, col(ChatUser.dealer_id).in_(dealers))
                    .order_by(col(ChatUser.dealer_id), col(ChatUser.user_id))
                )
            ).all()
        async with unit_of_work(db, clock) as uow:
            for dealer_id, users in groupby(owners, key=lambda u: u.dealer_id):
                queued += await _statement(uow, dealer_id, list(users), period, tz)
        last = dealers[-1]


async def _statement(
    uow: UnitOfWork, dealer_id: str, owners: list[ChatUser], period: Period, tz: ZoneInfo
) -> int:
    session = uow.session
    found = await earnings_in(session, dealer_id, period.starts_at, period.ends_at)
    entries = await statement_lines(session, dealer_id, period.starts_at, period.ends_at)
    payouts = list(
        (
            await session.exec(
                select(PayoutLine).where(
                    col(PayoutLine.period) == period.label, col(PayoutLine.dealer_id) == dealer_id
                )
            )
        ).all()
    )
    document = statement_csv(entries, tz).encode()
    name = (await dealer_names(session, [dealer_id])).get(dealer_id, dealer_id)
    queued = 0
    for user in owners:
        language = user.language or language_of(None)
        text = statement_text(language, name, period, found, payouts)
        key = f"statement:{period.label}:{user.user_id}"
        if len(document) > MAX_DOCUMENT_BYTES:
            text += "\n" + t(language, "statement.too_big")
        queued += await submit(uow, f"{key}:text", user.chat_id, Lane.BULK, "sendMessage",
                               {"text": text})  # fmt: skip
        if len(document) <= MAX_DOCUMENT_BYTES:
            payload = {
                "document": {
                    "filename": f"statement-{dealer_id}-{period.label}.csv",
                    "content": base64.b64encode(document).decode(),
                },
                "caption": t(language, "statement.caption", period=period.label),
            }
            queued += await submit(uow, f"{key}:csv", user.chat_id, Lane.BULK, "sendDocument",
                                   payload)  # fmt: skip
    return queued
