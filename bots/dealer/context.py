"""What a chat handler needs: a typed context with the runtime, and the chat behind an update.

python-telegram-bot builds one ``BotContext`` per update (``ContextTypes(context=...)`` in
``bots.dealer.app``); its ``runtime`` is typed, so no handler reads ``bot_data`` by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackContext, ExtBot

from shared.chat.i18n import language_of, t
from shared.chat.identity import binding
from shared.chat.models import ChatUser
from shared.messages.orders import Actor
from shared.runtime import Runtime


class BotData:
    """What the whole bot shares: the runtime it was built with (``bot_data`` of PTB)."""

    def __init__(self) -> None:
        # PTB makes this with no arguments; build_application sets it right after.
        self.runtime: Runtime | None = None


class BotContext(CallbackContext[ExtBot[str], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every handler of the dealer bot gets."""

    @property
    def runtime(self) -> Runtime:
        """The runtime (database, Redis, clock, settings) the bot was built with."""
        runtime = self.bot_data.runtime
        if runtime is None:  # only a bot built without one (a webhook test) gets here
            raise RuntimeError("this bot was built without a runtime")
        return runtime


BotApp: TypeAlias = Application[
    ExtBot[str], BotContext, dict[Any, Any], dict[Any, Any], BotData, None
]


@dataclass
class Chat:
    """One incoming update, with who sent it."""

    runtime: Runtime
    user: ChatUser | None
    language: str
    user_id: int
    chat_id: int

    def text(self, key: str, **values: object) -> str:
        """A catalog text in this user's language."""
        return t(self.language, key, **values)

    def actor(self) -> Actor:
        """The user as the actor of a command on the bus."""
        assert self.user is not None
        return Actor(kind="dealer", id=str(self.user_id), dealer_id=self.user.dealer_id)


@dataclass
class BoundChat(Chat):
    """A chat whose user is bound to a store (what a role-checked handler gets)."""

    user: ChatUser


async def chat_of(update: Update, context: BotContext) -> Chat | None:
    """The runtime, binding and language behind an update (None for updates with no user)."""
    sender, chat = update.effective_user, update.effective_chat
    if sender is None or chat is None:
        return None
    runtime = context.runtime
    async with runtime.db.read() as session:
        user = await binding(session, sender.id)
    language = (user.language if user and user.language else None) or language_of(
        sender.language_code
    )
    return Chat(runtime, user, language, sender.id, chat.id)


def bound(chat: Chat) -> BoundChat | None:
    """The same chat as a BoundChat, if its user is bound."""
    if chat.user is None:
        return None
    return BoundChat(chat.runtime, chat.user, chat.language, chat.user_id, chat.chat_id)


async def reply(update: Update, text: str, markup: dict[str, Any] | None = None) -> None:
    """Answer the message that came in (a 429 is waited out: ``bots.dealer.pacing``)."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=_markup(markup))


def _markup(data: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.de_json(data, None) if data else None
