"""Fan-out: a broadcast queued in the chat outbox for every chat of its audience, once each.

The audience is every active chat user of role owner or staff of a dealer of the region
(every region when None; a region matches in either language and any case) — not HQ,
not warehouses, not chats that blocked the bot — one message per chat.

``start_broadcast`` commits the broadcast with the caller's transaction and queues the
first ``CHUNK`` messages in it. If more remain it emits ``ContinueBroadcast`` in the same
transaction; the bot's consumer then queues the next chunk — in one transaction that also
advances the broadcast's cursor (the last chat id queued) and emits the next
``ContinueBroadcast`` — until no chat is left. A crash between chunks loses nothing (the
continuation is in the transactional outbox, redelivered until applied) and doubles
nothing (the cursor moved with the chunk; each message's key ``bc:<broadcast>:<chat>`` is
stored once, and the sender sends each key once).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts.models import QUEUED, QUEUING, Broadcast, BroadcastRecipient
from services.broadcasts.render import Kind, body, check
from services.catalog.public import stores
from shared import audit
from shared.bus.handling import Context, Handler
from shared.chat.buttons import issue
from shared.chat.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from shared.chat.models import BLOCKED, ChatStatus, ChatUser
from shared.chat.outbox import Lane, Outgoing, submit_many
from shared.chat.render import keyboard
from shared.db.uow import UnitOfWork
from shared.messages import Message
from shared.messages.broadcasts import ContinueBroadcast

__all__ = ["ACK", "CHUNK", "HANDLERS", "audience_size", "message_key", "start_broadcast"]

CHUNK = 200  # messages a transaction queues: about 0.1 s of the database (docs/benchmarks.md)
ACK_TTL = timedelta(days=30)  # how long an Acknowledge button works
DEALER_ROLES = ("owner", "staff")
ACK = "bc_ack"  # the button action (bots.dealer.callbacks dispatches it to services.broadcasts)


def message_key(broadcast_id: str, chat_id: int) -> str:
    """The outbox key of a broadcast's message to one chat: stored, and sent, once."""
    return f"bc:{broadcast_id}:{chat_id}"


async def _audience(
    session: AsyncSession, columns: Sequence[Any], region: str | None
) -> Select[Any]:
    query: Select[Any] = (
        select(*columns)
        .outerjoin(ChatStatus, col(ChatStatus.chat_id) == col(ChatUser.chat_id))
        .where(
            col(ChatUser.active),
            col(ChatUser.role).in_(DEALER_ROLES),
            col(ChatUser.dealer_id).in_(await stores(session, region)),
            or_(col(ChatStatus.state).is_(None), col(ChatStatus.state) != BLOCKED),
        )
    )
    return query


async def audience_size(session: AsyncSession, region: str | None) -> int:
    """How many chats a broadcast to ``region`` (None: every region) would go to now."""
    query = await _audience(session, [func.count(func.distinct(col(ChatUser.chat_id)))], region)
    return int((await session.exec(query)).one())  # type: ignore[call-overload]


async def create(
    uow: UnitOfWork, *, kind: str, params: dict[str, Any], region: str | None,
    created_by: str, requires_ack: bool, state: str = QUEUING,
) -> Broadcast:  # fmt: skip
    """A new broadcast row (checked; BadBroadcast if not), not yet queued for anyone."""
    region = region.strip() if region and region.strip() else None
    broadcast = Broadcast(
        id="b" + secrets.token_hex(6), kind=kind, params=check(kind, params), region=region,
        created_by=created_by, created_at=uow.clock.now(), requires_ack=requires_ack,
        state=state, audience=await audience_size(uow.session, region),
    )  # fmt: skip
    uow.session.add(broadcast)
    return broadcast


async def launch(uow: UnitOfWork, broadcast: Broadcast, *, role: str | None = None) -> None:
    """Start sending ``broadcast`` (new, or a confirmed draft): audit it, queue a first chunk."""
    now = uow.clock.now()
    broadcast.state, broadcast.started_at = QUEUING, now
    broadcast.audience = await audience_size(uow.session, broadcast.region)
    uow.session.add(broadcast)
    audit.record(
        uow.session, now, broadcast.created_by, "broadcast.send", target=broadcast.id, role=role,
        detail={
            "kind": broadcast.kind, "region": broadcast.region, "audience": broadcast.audience,
            "requires_ack": broadcast.requires_ack, "params": broadcast.params,
        },
    )  # fmt: skip
    await queue_chunk(uow, broadcast)


async def start_broadcast(
    uow: UnitOfWork,
    *,
    kind: Kind,
    params: dict[str, Any],
    region: str | None,
    created_by: str,
    requires_ack: bool,
) -> str:
    """Send a broadcast to the dealers of ``region`` (None: all); returns its id.

    Everything happens in the caller's transaction: the broadcast row, its audit entry,
    the first chunk of messages and the continuation that queues the rest — so if the
    caller rolls back, nobody is told anything. ``params`` by kind: notice ``{"text"}``;
    price ``{"sku", "name", "floor" (minor units), "currency", "effective_at" (ISO)}``;
    promotion ``{"promotion_id", "name", "discount" (text such as "10%"), "starts_at",
    "ends_at" (ISO), "skus": [...], "categories": [...]}``; promotion_end ``{"promotion_id",
    "name"}``. Each dealer reads it in their
    language, with an Acknowledge button when ``requires_ack``. Bad params raise
    ``services.broadcasts.render.BadBroadcast`` (a ValueError) naming the field.
    """
    broadcast = await create(
        uow, kind=kind, params=params, region=region, created_by=created_by,
        requires_ack=requires_ack,
    )  # fmt: skip
    await launch(uow, broadcast)
    return broadcast.id


async def queue_chunk(uow: UnitOfWork, broadcast: Broadcast, limit: int | None = None) -> int:
    """Queue the next ``limit`` (default ``CHUNK``) chats after the cursor; returns how many."""
    limit = limit or CHUNK
    columns = [ChatUser.chat_id, ChatUser.user_id, ChatUser.dealer_id, ChatUser.language]
    query = (await _audience(uow.session, columns, broadcast.region)).order_by(
        col(ChatUser.chat_id), col(ChatUser.user_id)
    )
    if broadcast.cursor is not None:
        query = query.where(col(ChatUser.chat_id) > broadcast.cursor)
    rows = (await uow.session.exec(query.limit(limit))).all()  # type: ignore[call-overload]
    seen: set[int] = set()
    texts = {lang: body(broadcast.kind, broadcast.params, lang) for lang in LANGUAGES}
    messages, recipients = [], []
    for chat_id, user_id, dealer_id, language in rows:
        if chat_id in seen:
            continue  # two users in one (group) chat: the chat gets one message
        seen.add(chat_id)
        language = language if language in texts else DEFAULT_LANGUAGE
        key = message_key(broadcast.id, chat_id)
        payload: dict[str, Any] = {"text": texts[language]}
        if broadcast.requires_ack:
            token = await issue(uow, ACK, broadcast.id, dealer_id, DEALER_ROLES, ttl=ACK_TTL)
            payload["reply_markup"] = keyboard([[(t(language, "ack.button"), token)]])
        messages.append(Outgoing(key, chat_id, Lane.BULK, "sendMessage", payload))
        recipients.append(
            {"broadcast_id": broadcast.id, "chat_id": chat_id, "user_id": user_id,
             "dealer_id": dealer_id, "language": language, "message_key": key}
        )  # fmt: skip
    new = await submit_many(uow, messages)
    await _add_recipients(uow.session, recipients)
    broadcast.queued += new
    if rows:
        broadcast.cursor = rows[-1][0]
    if len(rows) == limit:
        uow.emit(ContinueBroadcast(broadcast_id=broadcast.id))
    else:
        broadcast.state, broadcast.audience = QUEUED, broadcast.queued
    uow.session.add(broadcast)
    return new


async def _add_recipients(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = BroadcastRecipient.__table__  # type: ignore[attr-defined]
    await connection.execute(insert(table).on_conflict_do_nothing(), rows)


async def continue_broadcast(event: ContinueBroadcast, ctx: Context) -> None:
    """Queue the next chunk of a broadcast that is still being queued."""
    broadcast = await ctx.uow.session.get(Broadcast, event.broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.state != QUEUING:
        return  # finished (a repeated continuation) or cancelled
    await queue_chunk(ctx.uow, broadcast)


HANDLERS: dict[type[Message], Handler] = {ContinueBroadcast: continue_broadcast}
