"""Who may run a chat handler: one decorator loads the chat, checks its role, refuses politely.

``@command()`` hands any chat (bound or not) to the handler; ``@command("orders")`` hands
it only a chat bound to a store whose role may ``orders`` in the role table
(``shared.chat.identity.PERMISSIONS``), as a ``BoundChat``. Anyone else is told why not:
"not linked" to an unbound chat, else the general refusal naming the role, or the
command's own (``refusal=``). With ``audit=``, a refusal is recorded in the audit log too,
as HQ's commands need.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any, overload

from telegram import Update

from bots.dealer.context import BotContext, BoundChat, Chat, bound, chat_of, reply
from shared import audit as audit_log
from shared.chat.identity import may
from shared.db.uow import unit_of_work

ChatHandler = Callable[[Update, BotContext, Chat], Awaitable[None]]
BoundHandler = Callable[[Update, BotContext, BoundChat], Awaitable[None]]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


@overload
def command(action: None = None) -> Callable[[ChatHandler], Callback]: ...


@overload
def command(
    action: str, *, refusal: str = "not_allowed", audit: str | None = None
) -> Callable[[BoundHandler], Callback]: ...


def command(
    action: str | None = None, *, refusal: str = "not_allowed", audit: str | None = None
) -> Callable[[Any], Callback]:
    """Make a chat handler a python-telegram-bot callback that is handed the update's chat.

    With ``action``, it runs only for a bound chat whose role may do it (the module's note).
    """

    def decorate(handler: Any) -> Callback:
        @wraps(handler)
        async def callback(update: Update, context: BotContext) -> None:
            chat = await chat_of(update, context)
            if chat is None:  # an update with no user or chat: nobody to answer
                return
            if action is None:
                await handler(update, context, chat)
                return
            admitted = await _admit(update, chat, action, refusal, audit)
            if admitted is not None:
                await handler(update, context, admitted)

        return callback

    return decorate


async def _admit(
    update: Update, chat: Chat, action: str, refusal: str = "not_allowed", audit: str | None = None
) -> BoundChat | None:
    """The chat, bound, if its role may ``action``; else it is told why not (None)."""
    member = bound(chat)
    if member is not None and may(member.user, action):
        return member
    if audit is not None:
        await _audit_refusal(update, chat, audit)
    if member is None:
        await reply(update, chat.text("not_bound"))
    else:
        await reply(update, chat.text(refusal, role=chat.text(f"role.{member.user.role}")))
    return None


async def _audit_refusal(update: Update, chat: Chat, action: str) -> None:
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        audit_log.record(
            uow.session, uow.clock.now(), f"tg:{chat.user_id}", action, allowed=False,
            role=chat.user.role if chat.user else None,
            detail={"dealer_id": chat.user.dealer_id if chat.user else None,
                    "text": command_text(update)[:200]},
        )  # fmt: skip


def command_text(update: Update) -> str:
    """What follows the command word (``/broadcast hello`` → ``hello``), lines and all."""
    message = update.effective_message
    parts = ((message.text if message is not None else None) or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""
