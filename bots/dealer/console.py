"""/console in chat: an HQ or finance member's one-time link to the web console.

The link signs its holder in once, within a few minutes (``services.access.public``); it
is sent without a link preview, and its page asks for a press before it spends the link,
so no preview can use it up.
"""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update

from bots.dealer.context import BotContext, BoundChat
from bots.dealer.guard import command
from services.access.public import LINK_TTL, issue_link
from shared.db.uow import unit_of_work


@command("console")
async def console(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/console: a link that signs this member in to HQ's console, once."""
    runtime = chat.runtime
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        token = await issue_link(uow, chat.user.user_id, chat.user.role)
    link = f"{runtime.settings.console_url}/sign-in?t={token}"
    text = chat.text("console.link", minutes=int(LINK_TTL.total_seconds() // 60), link=link)
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, link_preview_options=LinkPreviewOptions(is_disabled=True))
