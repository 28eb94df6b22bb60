"""What a chat handler needs: the runtime, the user's binding and language."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import ContextTypes

from shared.chat.i18n import language_of, t
from shared.chat.identity import binding
from shared.chat.models import ChatUser
from shared.messages.orders import Actor
from shared.runtime import Runtime

RUNTIME_KEY = "baton_runtime"


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


async def chat_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Chat | None:
    """The runtime, binding and language behind an update (None for updates with no user)."""
    sender, chat = update.effective_user, update.effective_chat
    if sender is None or chat is None:
        return None
    runtime: Runtime = context.application.bot_data[RUNTIME_KEY]
    async with runtime.db.read() as session:
        user = await binding(session, sender.id)
    language = (user.language if user and user.language else None) or language_of(
        sender.language_code
    )
    return Chat(runtime, user, language, sender.id, chat.id)
