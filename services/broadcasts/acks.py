"""Acknowledgements of a rule broadcast, and the one reminder for stores that gave none.

A press of Acknowledge is recorded once per recipient chat (a second press, or a press
on the reminder after the original, is answered but counts nothing new), and the
broadcast's messages in that chat (the original, and the reminder if there was one) are
edited to say it was acknowledged, without the button. A store (dealer) counts as having
acknowledged when any of its owners or staff did.

``BATON_ACK_REMINDER_HOURS`` after a broadcast that asks for acknowledgement was started,
every recipient chat of a store that has not acknowledged gets one reminder (the text
again, with the button). The reminders run as a job on the bot's elected scheduler (one
runner across replicas); they are queued in chunks, each chunk in one transaction that
also moves the broadcast's ``remind_cursor``, and the last one sets ``reminded_at``. Each
reminder's outbox key ``bcr:<broadcast>:<chat>`` is stored once, so a crash mid-way, a
second runner or a later run sends nobody a second reminder.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import col, select

from services.broadcasts import fanout
from services.broadcasts.fanout import ACK, ACK_TTL, DEALER_ROLES, message_key
from services.broadcasts.models import QUEUED, Broadcast, BroadcastRecipient
from services.broadcasts.render import acknowledged, reminder
from shared.chat.buttons import issue
from shared.chat.i18n import t
from shared.chat.models import BLOCKED, PENDING, SENT, ButtonToken, ChatMessage, ChatUser
from shared.chat.outbox import Lane, Outgoing, submit, submit_many
from shared.chat.render import keyboard
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import UnitOfWork, unit_of_work
from shared.runtime import Runtime
from shared.scheduling import ElectedScheduler

log = logging.getLogger(__name__)

REMINDER = "reminder"  # the arg of a reminder's ack button (it shows in the token table)
CHECK_EVERY_S = 60  # how often the elected runner looks for reminders that are due
LIVE = (*PENDING, SENT)  # messages an edit can still reach


def reminder_key(broadcast_id: str, chat_id: int) -> str:
    """The outbox key of the one reminder a chat can get for a broadcast."""
    return f"bcr:{broadcast_id}:{chat_id}"


async def acknowledge(uow: UnitOfWork, token: ButtonToken, chat_id: int, user_id: int) -> str:
    """Record a press of Acknowledge; returns the catalog key of the answer to show."""
    session = uow.session
    broadcast = await session.get(Broadcast, token.subject)
    recipient = await session.get(
        BroadcastRecipient, (token.subject, chat_id), with_for_update=True
    )
    if broadcast is None or recipient is None:
        log.warning("acknowledge of %s from chat %s, which it was not sent to", token.subject,
                    chat_id)  # fmt: skip
        return "ack.thanks"
    first = recipient.acked_at is None
    if first:
        recipient.acked_at, recipient.acked_by = uow.clock.now(), user_id
        session.add(recipient)
    assert recipient.acked_at is not None
    # Every message of this broadcast in the chat now says so, without its button.
    text = acknowledged(broadcast.kind, broadcast.params, recipient.language, recipient.acked_at)
    shown = (message_key(broadcast.id, chat_id), "m"), (reminder_key(broadcast.id, chat_id), "r")
    for key, which in shown:
        original = await session.get(ChatMessage, key)
        if original is None or original.state not in LIVE:
            continue  # never sent (no reminder, or the chat blocked the bot): nothing to edit
        await submit(uow, f"bca:{broadcast.id}:{chat_id}:{which}", chat_id, Lane.PROMPT,
                     "editMessageText", {"text": text}, refers_to=key)  # fmt: skip
    return "ack.thanks" if first else "ack.already"


async def remind_chunk(uow: UnitOfWork, broadcast_id: str, limit: int | None = None) -> bool:
    """Queue the next chunk of a broadcast's reminders; True once none are left."""
    limit = limit or fanout.CHUNK
    session = uow.session
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.reminded_at is not None:
        return True
    acked = select(BroadcastRecipient.dealer_id).where(
        col(BroadcastRecipient.broadcast_id) == broadcast_id,
        col(BroadcastRecipient.acked_at).is_not(None),
    )
    query = (
        select(BroadcastRecipient)
        .join(ChatMessage, col(ChatMessage.key) == col(BroadcastRecipient.message_key))
        .join(ChatUser, col(ChatUser.user_id) == col(BroadcastRecipient.user_id))
        .where(
            col(BroadcastRecipient.broadcast_id) == broadcast_id,
            col(BroadcastRecipient.dealer_id).not_in(acked),
            col(ChatMessage.state) != BLOCKED,
            col(ChatUser.active),
            col(ChatUser.dealer_id) == col(BroadcastRecipient.dealer_id),
        )
        .order_by(col(BroadcastRecipient.chat_id))
        .limit(limit)
    )
    if broadcast.remind_cursor is not None:
        query = query.where(col(BroadcastRecipient.chat_id) > broadcast.remind_cursor)
    rows = list((await session.exec(query)).all())
    messages = []
    for r in rows:
        token = await issue(uow, ACK, broadcast_id, r.dealer_id, DEALER_ROLES, arg=REMINDER,
                            ttl=ACK_TTL)  # fmt: skip
        payload: dict[str, Any] = {
            "text": reminder(broadcast.kind, broadcast.params, r.language),
            "reply_markup": keyboard([[(t(r.language, "ack.button"), token)]]),
        }
        key = reminder_key(broadcast_id, r.chat_id)
        messages.append(Outgoing(key, r.chat_id, Lane.BULK, "sendMessage", payload))
    await submit_many(uow, messages)
    if rows:
        broadcast.remind_cursor = rows[-1].chat_id
    done = len(rows) < limit
    if done:
        broadcast.reminded_at = uow.clock.now()
    session.add(broadcast)
    return done


async def remind_due(db: Database, clock: Clock, delay: timedelta, limit: int | None = None) -> int:
    """Send the reminders of every broadcast due for them; returns how many broadcasts."""
    due = (
        select(Broadcast.id)
        .where(
            col(Broadcast.requires_ack),
            col(Broadcast.state) == QUEUED,
            col(Broadcast.reminded_at).is_(None),
            col(Broadcast.started_at) <= clock.now() - delay,
        )
        .order_by(col(Broadcast.started_at))
    )
    async with db.read() as session:
        ids = list((await session.exec(due)).all())
    for broadcast_id in ids:
        done = False
        while not done:
            async with unit_of_work(db, clock) as uow:
                done = await remind_chunk(uow, broadcast_id, limit)
        log.info("sent the acknowledgement reminders of broadcast %s", broadcast_id)
    return len(ids)


def schedule_reminders(scheduler: ElectedScheduler, runtime: Runtime) -> None:
    """Add the job that sends due reminders to the bot's elected scheduler."""
    delay = timedelta(hours=runtime.settings.ack_reminder_hours)
    scheduler.add_job(
        remind_due, IntervalTrigger(seconds=CHECK_EVERY_S),
        args=(runtime.db, runtime.clock, delay), id="broadcast-ack-reminders",
    )  # fmt: skip
