"""Calendar reminders of the dealer bot, run by the elected scheduler (one runner in all).

Stock counts go stale: a dealer who has not reported for ``stock_reminder_days`` is asked
to, at most once per that many days. Each reminder's outbox key names the dealer, the user
and the period, so a job that runs twice (a new leader right after the old one ran it)
queues nothing new.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from services.catalog import public as catalog
from services.stock import public as stock
from shared.chat.i18n import language_of, t
from shared.chat.models import ChatUser
from shared.chat.outbox import Lane, Outgoing, submit_many
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import unit_of_work

DEALER_ROLES = ("owner", "staff")
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


async def remind_stale_stock(db: Database, clock: Clock, days: int) -> int:
    """Queue a reminder to the owner and staff of every dealer with stale counts.

    Returns how many reminders were queued now (0 for a period already reminded).
    """
    if days <= 0:
        return 0
    now = clock.now()
    cutoff = now - timedelta(days=days)
    period = (now - EPOCH).days // days
    async with unit_of_work(db, clock) as uow:
        last: dict[str, datetime | None] = dict(
            (await uow.session.exec(stock.last_reported())).all()
        )
        users = (
            await uow.session.exec(
                select(ChatUser).where(
                    col(ChatUser.active),
                    col(ChatUser.role).in_(DEALER_ROLES),
                    col(ChatUser.dealer_id).in_(await catalog.stores(uow.session)),
                )
            )
        ).all()
        messages = []
        for user in users:
            reported = last.get(user.dealer_id)
            if reported is not None and reported > cutoff:
                continue
            language = user.language or language_of(None)
            if reported is None:
                text = t(language, "stock.remind_never")
            else:
                text = t(language, "stock.reminder", days=(now - reported).days)
            key = f"stock-remind:{user.dealer_id}:{user.user_id}:{period}"
            messages.append(Outgoing(key, user.chat_id, Lane.NOTICE, "sendMessage", {"text": text}))
        return await submit_many(uow, messages)
