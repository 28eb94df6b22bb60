"""The command menu as python-telegram-bot BotCommands (the table: ``shared.chat.menus``)."""

from __future__ import annotations

from telegram import BotCommand

from shared.chat.menus import menu


def commands(role: str | None, language: str) -> list[BotCommand]:
    """The menu of ``role`` in ``language``, for ``set_my_commands``."""
    return [BotCommand(item["command"], item["description"]) for item in menu(role, language)]
