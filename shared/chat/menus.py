"""The command menu: what an unbound chat may type by default, what its role may once bound.

A bound user's chat gets the commands of their role in their language; everyone else
sees the default one, in their chat app's language. The chat's menu is queued in the chat
outbox in the transaction that binds the user or changes their language (``queue_menu``),
so a chat bound any way — an invitation, the demo, a script — gets its menu, sent by the
chat sender within the channel's limits.
"""

from __future__ import annotations

import re
import secrets

from shared.chat.i18n import DEFAULT_LANGUAGE, t
from shared.chat.models import ChatUser
from shared.chat.outbox import Lane, submit
from shared.db.uow import UnitOfWork

# What each role finds in the menu, in this order (``/help`` lists the same).
MENUS: dict[str | None, tuple[str, ...]] = {
    "owner": ("orders", "pickup", "delivered", "stock", "prices", "earnings", "pause", "lang",
              "help"),
    "staff": ("orders", "pickup", "delivered", "stock", "prices", "lang", "help"),
    "hq": ("broadcast", "stats", "price", "promo", "prices", "console", "lang", "help"),
    "finance": ("console", "lang", "help"),
    None: ("start", "lang", "help"),
}  # fmt: skip
_COLON = re.compile("[:：]")  # the Chinese catalog writes a full-width colon


def description(name: str, language: str) -> str:
    """The menu's line for ``/name``: its help text after the command and its arguments."""
    return _COLON.split(t(language, f"help.{name}"), maxsplit=1)[-1].strip()[:256]


def menu(role: str | None, language: str) -> list[dict[str, str]]:
    """The menu of ``role``: each command with the catalog's one-line description of it."""
    return [{"command": name, "description": description(name, language)} for name in MENUS[role]]


async def queue_menu(uow: UnitOfWork, user: ChatUser) -> None:
    """Queue the menu of the user's role and language for their chat, in this transaction."""
    payload = {"commands": menu(user.role, user.language or DEFAULT_LANGUAGE)}
    # A fresh key each time: switching zh → en → zh must send the last menu again.
    key = f"menu:{user.chat_id}:{secrets.token_hex(6)}"
    await submit(uow, key, user.chat_id, Lane.PROMPT, "setMyCommands", payload)
