"""Applying stream entries to the database: one unit of work, the inbox, the handlers.

A message is applied in one transaction that also records it in the inbox, so a message
delivered again changes nothing; a batch is applied in one transaction (one commit for
many messages is what makes the bus fast). A consumer may give a batch handler for a
message type: consecutive messages of that type in a batch are then handled together,
with the same effect as one after the other (applied alone, a message still goes to its
one-message handler). On PostgreSQL the lock plan first takes every
row lock the handlers will take, in one global order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.bus.handling import BatchHandler, Context, Handler, LockPlan
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.messages import Envelope, Message


@dataclass(frozen=True)
class Work:
    """A decoded entry waiting for its handler."""

    stream: bytes
    entry_id: bytes
    raw: bytes
    envelope: Envelope
    message: Message
    handler: Handler
    deliveries: int


@dataclass(frozen=True)
class Unit:
    """Where and as whom entries are applied: the database, the clock, the group's inbox."""

    db: Database
    clock: Clock
    group: str
    lock_plan: LockPlan | None = None
    batch_handlers: Mapping[type[Message], BatchHandler] = field(default_factory=dict)


async def apply_one(unit: Unit, item: Work) -> bool:
    """Apply one entry in its own transaction; False if the inbox shows it was applied."""
    async with unit_of_work(unit.db, unit.clock, caused_by=item.envelope) as uow:
        if unit.lock_plan is not None:
            await unit.lock_plan(uow, [item.message])
        if not await uow.claim_inbox(unit.group, item.envelope.id):
            return False
        await item.handler(item.message, Context(item.envelope, uow, unit.clock, item.deliveries))
    return True


async def apply_batch(unit: Unit, work: list[Work]) -> tuple[int, int]:
    """Apply entries in one transaction; returns how many were applied and how many repeats."""
    applied = duplicates = 0
    async with unit_of_work(unit.db, unit.clock) as uow:
        # Every lock the batch needs, in one order, before anything else: batches on
        # other replicas then wait for each other instead of waiting in a circle.
        if unit.lock_plan is not None:
            await unit.lock_plan(uow, [item.message for item in work])
        fresh = await uow.claim_inbox_many(unit.group, [item.envelope.id for item in work])
        todo: list[Work] = []
        for item in work:
            if item.envelope.id not in fresh:
                duplicates += 1
                continue
            fresh.discard(item.envelope.id)  # the same message twice in one batch
            todo.append(item)
        for run in _runs(todo, unit.batch_handlers):
            batch_handler = unit.batch_handlers.get(type(run[0].message))
            if batch_handler is not None and len(run) > 1:
                contexts = [(w.message, Context(w.envelope, uow, unit.clock, 1)) for w in run]
                await batch_handler(contexts)
            else:
                for w in run:
                    uow.caused_by = w.envelope
                    await w.handler(w.message, Context(w.envelope, uow, unit.clock, 1))
            applied += len(run)
    return applied, duplicates


def _runs(
    todo: list[Work], batch_handlers: Mapping[type[Message], BatchHandler]
) -> list[list[Work]]:
    """The work in order, consecutive messages of a type with a batch handler together."""
    runs: list[list[Work]] = []
    for item in todo:
        kind = type(item.message)
        if runs and kind in batch_handlers and type(runs[-1][0].message) is kind:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs
