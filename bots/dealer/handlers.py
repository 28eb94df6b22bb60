"""Chat handlers: each turns one message into a reply (and, later, a command on the bus)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bots.dealer.i18n import language_of, t


def _language(update: Update) -> str:
    user = update.effective_user
    return language_of(user.language_code if user else None)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: greet, and explain how to link the chat when no invitation code is given."""
    if update.effective_message is None:
        return
    lang = _language(update)
    name = update.effective_user.first_name if update.effective_user else ""
    text = t(lang, "start.welcome", name=name)
    if not context.args:
        text += "\n\n" + t(lang, "start.no_code")
    await update.effective_message.reply_text(text)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what this user can do."""
    if update.effective_message is None:
        return
    lang = _language(update)
    lines = [t(lang, "help.title"), t(lang, "help.start"), t(lang, "help.help")]
    await update.effective_message.reply_text("\n".join(lines))


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else: say what to type instead."""
    if update.effective_message is None:
        return
    await update.effective_message.reply_text(t(_language(update), "unknown"))
