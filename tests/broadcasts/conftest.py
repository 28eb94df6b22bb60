"""The dealer bot's chat fixture (emulator, real python-telegram-bot, services) for broadcasts."""

from __future__ import annotations

from tests.dealer.conftest import chats

__all__ = ["chats"]
