"""The command menu: what an unbound chat may type by default, what its role may once bound.

Telegram shows the menu of the most specific scope: a bound user's chat gets the commands of
their role in their language (set when they bind and again on /lang); everyone else sees
the default one, in their Telegram language.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bots.dealer.i18n import t

log = logging.getLogger(__name__)

# What each role finds in the menu, in this order (``/help`` lists the same).
MENUS: dict[str | None, tuple[str, ...]] = {
    "owner": ("orders", "pickup", "delivered", "stock", "prices", "earnings", "pause", "lang",
              "help"),
    "staff": ("orders", "pickup", "delivered", "stock", "prices", "lang", "help"),
    "hq": ("broadcast", "stats", "price", "promo", "prices", "lang", "help"),
    None: ("start", "lang", "help"),
}  # fmt: skip


def commands(role: str | None, language: str) -> list[BotCommand]:
    """The menu of ``role`` with the catalog's one-line description of each command."""
    return [
        BotCommand(name, t(language, f"help.{name}").split(":", 1)[-1].strip()[:256])
        for name in MENUS[role]
    ]


async def set_chat_menu(bot: Bot, chat_id: int, role: str, language: str) -> None:
    """Show this chat its role's commands; a failure is logged, the user's reply still goes."""
    try:
        await bot.set_my_commands(commands(role, language), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("could not set the command menu of chat %s: %s", chat_id, exc)
