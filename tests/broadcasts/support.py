"""Helpers for broadcast tests: a dealer network in the tables, and the fan-out's pump."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select

from services.broadcasts.fanout import HANDLERS
from services.broadcasts.models import Broadcast
from services.catalog.models import Dealer
from shared.bus.handling import Context
from shared.chat.models import ChatMessage, ChatUser
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.models import OutboxRow
from shared.db.uow import unit_of_work
from shared.messages import REGISTRY, Envelope


def dealer_row(dealer_id: str, region: str, now: datetime, *, warehouse: bool = False) -> Dealer:
    """A dealer of ``region`` (what PUT /v1/dealers would store)."""
    return Dealer(
        id=dealer_id, name=f"Store {dealer_id}", region=region, city="City", lat=30.0, lon=104.0,
        service_radius_km=20.0, capabilities=["pickup"], capacity=5, warehouse=warehouse,
        updated_at=now,
    )  # fmt: skip


def chat_user(
    user_id: int, dealer_id: str, role: str, now: datetime, *, language: str = "en",
    active: bool = True, chat_id: int | None = None,
) -> ChatUser:  # fmt: skip
    """A chat user bound to ``dealer_id`` (what redeeming an invitation would store)."""
    return ChatUser(
        user_id=user_id, chat_id=chat_id or user_id, dealer_id=dealer_id, role=role,
        language=language, name=f"User {user_id}", active=active, bound_at=now,
    )  # fmt: skip


async def network(
    db: Database, clock: Clock, chat_ids: Sequence[int], *, region: str = "Sichuan",
    languages: Sequence[str] = ("en", "zh"), prefix: str = "d",
) -> list[str]:  # fmt: skip
    """One dealer per chat id, each with its owner in that chat; returns the dealer ids."""
    now = clock.now()
    ids = [f"{prefix}{n}" for n in range(len(chat_ids))]
    async with db.write() as session:
        session.add_all(dealer_row(d, region, now) for d in ids)
        await session.flush()
        session.add_all(
            chat_user(c, d, "owner", now, language=languages[n % len(languages)])
            for n, (c, d) in enumerate(zip(chat_ids, ids, strict=True))
        )
    return ids


async def pump(db: Database, clock: Clock) -> int:
    """Apply the waiting fan-out continuations as the bot's consumer would; how many."""
    applied = 0
    while True:
        async with unit_of_work(db, clock) as uow:
            rows = (await uow.session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
            mine = [r for r in rows if Envelope.decode(r.envelope).name in _NAMES]
            if not mine:
                return applied
            row = mine[0]
            await uow.session.exec(delete(OutboxRow).where(col(OutboxRow.id) == row.id))
            envelope = Envelope.decode(row.envelope)
            message = REGISTRY.resolve(envelope)
            await HANDLERS[type(message)](message, Context(envelope, uow, clock, 1))
            applied += 1


_NAMES = {cls.NAME for cls in HANDLERS}


async def keys(db: Database, prefix: str) -> Counter[int]:
    """Chat outbox rows whose key starts with ``prefix``, counted per chat."""
    async with db.read() as session:
        statement = select(ChatMessage.chat_id).where(col(ChatMessage.key).startswith(prefix))
        return Counter((await session.exec(statement)).all())


async def broadcast_row(db: Database, broadcast_id: str) -> Broadcast:
    """The broadcast as stored now."""
    async with db.read() as session:
        found = await session.get(Broadcast, broadcast_id)
    assert found is not None
    return found
