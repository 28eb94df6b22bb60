"""A button press and what it comes to: the shapes of the button table (``bots.dealer.callbacks``).

Each action a button token may name has one handler, a module-level function taking the
``Press`` and returning an ``Outcome``; the dispatcher does the rest (answering the press,
taking spent rows off the message, sending a prompt), so a handler only acts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bots.dealer.context import BoundChat
from shared.chat.models import ButtonToken
from shared.db.uow import UnitOfWork

Rows = list[list[dict[str, Any]]]  # inline keyboard rows, as the Bot API takes them


@dataclass(frozen=True)
class Press:
    """A press whose token was accepted: who pressed it, on what, in which transaction."""

    uow: UnitOfWork
    chat: BoundChat
    token: ButtonToken
    message_id: int | None  # the message it was pressed on (None if Telegram did not say)


@dataclass(frozen=True)
class Outcome:
    """What a press comes to.

    ``answer`` is shown over the chat (as an alert with ``alert``), ``prompt`` sent as a
    message after it, ``replacement`` put where the rows of ``clear`` (an offer or an
    order) were on the pressed message.
    """

    answer: str | None = None
    prompt: str | None = None
    replacement: Rows | None = None
    alert: bool = False
    clear: str | None = None


ButtonHandler = Callable[[Press], Awaitable[Outcome]]
