"""What a message handler is: a function of the message and its Context, run in a unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.clock import Clock
from shared.db.uow import UnitOfWork
from shared.messages import Envelope, Message


@dataclass(frozen=True)
class Context:
    """What a handler gets besides its message."""

    envelope: Envelope
    uow: UnitOfWork
    clock: Clock
    deliveries: int


Handler = Callable[[Any, Context], Awaitable[None]]
# Handles a run of messages of one type in a batch at once, with the effect of its Handler
# applied to each in turn: one statement a table for the run instead of a few a message.
BatchHandler = Callable[[Sequence[tuple[Any, Context]]], Awaitable[None]]
# Takes, in one global order, the row locks that handlers of these messages will take.
LockPlan = Callable[[UnitOfWork, Sequence[Message]], Awaitable[None]]
