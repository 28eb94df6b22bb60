"""What happens when a handler fails: a log line with who and what, and a word to the user.

The user is told through the chat outbox, not with a direct reply: the failure may be the
reply itself (Telegram down, a flood wait longer than the bot's patience), and the sender
retries until the message arrives.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bots.dealer.context import BotContext, chat_of
from shared.chat.i18n import language_of, t
from shared.chat.outbox import Lane, submit
from shared.db.uow import unit_of_work

log = logging.getLogger(__name__)


def describe(update: Update) -> str:
    """What the user sent, for the log: the command, not what follows it.

    What follows may be a customer's pickup code, which is kept only as a hash.
    """
    if update.callback_query is not None:
        return f"button {update.callback_query.data!r}"
    message = update.effective_message
    if message is None:
        return "an update without a message"
    if message.document is not None:
        return f"file {message.document.file_name!r}"
    text = message.text or ""
    if not text.startswith("/"):
        return f"a message of {len(text)} characters"
    command, *rest = text.split(maxsplit=1)
    return repr(command[:40]) + (f" and {len(rest[0])} characters" if rest else "")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its context, and tell the user something went wrong."""
    error = context.error
    if not isinstance(update, Update):
        log.error("bot error outside an update: %r", error, exc_info=error)
        return
    user, chat = update.effective_user, update.effective_chat
    log.error(
        "update %s from user %s in chat %s failed (%s): %r", update.update_id,
        user.id if user else None, chat.id if chat else None, describe(update), error,
        exc_info=error,
    )  # fmt: skip
    if chat is None:
        return
    language = language_of(user.language_code if user else None)
    try:
        found = await chat_of(update, context)
        language = found.language if found is not None else language
    except Exception:  # the database may be what failed: answer in Telegram's language
        log.warning("could not read the binding of chat %s", chat.id, exc_info=True)
    text = t(language, "error.internal")
    runtime = context.runtime
    try:
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            await submit(uow, f"error:{update.update_id}", chat.id, Lane.PROMPT, "sendMessage",
                         {"text": text})  # fmt: skip
    except Exception:
        log.exception("could not queue the apology for update %s", update.update_id)
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=True)
        except TelegramError as exc:  # too late, or Telegram is what failed
            log.warning("could not answer button of update %s: %s", update.update_id, exc)
