"""Core in-memory store: bots, users, chats, messages, files, update queues. No I/O."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Sequence
from typing import Any

from bots.emulator.errors import EmulatorError
from bots.emulator.faults import FaultBook, Stats
from bots.emulator.limits import Clock, Limits, RateLimiter, clock_seconds
from bots.emulator.models import (
    JSON,
    BotState,
    CallbackRecord,
    Chat,
    StoredFile,
    StoredMessage,
    User,
)

DEFAULT_UPDATE_TYPES = frozenset({"message", "edited_message", "callback_query", "my_chat_member"})


def bot_id_from_token(token: str) -> int:
    """The bot id is the number before ':' in the token."""
    head, sep, tail = token.partition(":")
    if not (sep and head.isdigit() and tail):
        raise ValueError(f"not a bot token: {token!r}")
    return int(head)


class Store:
    """The data of the emulated Telegram; every change bumps `revision` and notifies listeners."""

    def __init__(
        self,
        tokens: Sequence[str],
        *,
        usernames: Sequence[str] = ("baton_dev_bot",),
        clock: Clock = time.time,
        limits: Limits | None = None,
    ) -> None:
        if not tokens:
            raise ValueError("at least one bot token is required")
        self.clock = clock
        self.bots: dict[int, BotState] = {}
        for index, token in enumerate(tokens):
            name = usernames[index] if index < len(usernames) else f"baton_dev{index + 1}_bot"
            bot = BotState(bot_id_from_token(token), token, name)
            self.bots[bot.id] = bot
        self.users: dict[int, User] = {}
        self.chats: dict[tuple[int, int], Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.faults = FaultBook()
        self.stats = Stats()
        self.limiter = RateLimiter(limits or Limits(), clock)
        self.revision = 0
        self._listeners: list[Callable[[], None]] = []
        self._serial = 0

    # -- change notification -------------------------------------------------
    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def touch(self) -> int:
        """Record a change: bump the revision and wake listeners."""
        self.revision += 1
        for listener in list(self._listeners):
            listener()
        return self.revision

    def now(self) -> int:
        """Current time as a unix timestamp."""
        return int(clock_seconds(self.clock))

    def serial(self) -> int:
        """A process-wide increasing number (never reset, so ids stay unique)."""
        self._serial += 1
        return self._serial

    # -- lookups -------------------------------------------------------------
    def bot_for_token(self, token: str) -> BotState | None:
        """The bot with this exact token."""
        try:
            bot = self.bots.get(bot_id_from_token(token))
        except ValueError:
            return None
        return bot if bot is not None and bot.token == token else None

    def bot(self, bot_id: int | None = None) -> BotState:
        """A bot by id (default: the first configured bot)."""
        if bot_id is None:
            return next(iter(self.bots.values()))
        if bot_id not in self.bots:
            raise EmulatorError(f"unknown bot {bot_id}", 404)
        return self.bots[bot_id]

    def user(self, user_id: int) -> User:
        """A user by id."""
        if user_id not in self.users:
            raise EmulatorError(f"unknown user {user_id}", 404)
        return self.users[user_id]

    def find_chat(self, bot_id: int, chat_id: int) -> Chat | None:
        """A chat of this bot; a user's private chat is created on first use."""
        chat = self.chats.get((bot_id, chat_id))
        if chat is None and chat_id in self.users:
            peer = self.users[chat_id]
            chat = Chat(chat_id, "private", bot_id, peer=peer, member_ids=[chat_id])
            self.chats[(bot_id, chat_id)] = chat
        return chat

    def find_message(self, chat: Chat, message_id: int) -> StoredMessage | None:
        """A message of the chat that has not been deleted."""
        if 1 <= message_id <= len(chat.messages):
            message = chat.messages[message_id - 1]
            if not message.deleted:
                return message
        return None

    # -- messages and updates ------------------------------------------------
    def add_message(
        self, chat: Chat, sender: User, *, from_bot: bool, **fields: Any
    ) -> StoredMessage:
        """Append a message to the chat with the next message id."""
        message = StoredMessage(chat.next_message_id, chat, sender, from_bot, self.now(), **fields)
        chat.next_message_id += 1
        chat.messages.append(message)
        message.revision = self.touch()
        return message

    def changed(self, message: StoredMessage) -> None:
        """Mark a message as changed (edit or delete)."""
        message.revision = self.touch()

    def push_update(self, bot: BotState, kind: str, payload: JSON) -> int | None:
        """Queue an update for the bot unless its allowed_updates exclude `kind`."""
        allowed = bot.allowed_updates
        if kind not in (set(allowed) if allowed else DEFAULT_UPDATE_TYPES):
            return None
        update_id = bot.next_update_id
        bot.next_update_id += 1
        bot.pending.append({"update_id": update_id, kind: payload})
        self.stats.updates += 1
        self.touch()
        return update_id

    def confirm_updates(self, bot: BotState, offset: int) -> None:
        """Forget updates below `offset` (negative: keep only the last -offset)."""
        if offset < 0:
            del bot.pending[: max(0, len(bot.pending) + offset)]
        elif offset > 0:
            bot.pending[:] = [u for u in bot.pending if u["update_id"] >= offset]

    # -- files ---------------------------------------------------------------
    def store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep file content and give it Telegram-looking ids and a file_path."""
        n = self.serial()
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAE{n:08d}emu",
            file_unique_id=f"AgAD{n:06d}",
            file_path=f"documents/file_{n}{ext}",
            content=content,
            file_name=file_name,
            mime_type=mime_type or "application/octet-stream",
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """A stored file by its file_path."""
        return next((f for f in self.files.values() if f.file_path == file_path), None)

    # -- reset ---------------------------------------------------------------
    def clear(self) -> None:
        """Back to a clean state; bots and limits stay configured, ids keep increasing."""
        for bot in self.bots.values():
            bot.clear()
        self.users.clear()
        self.chats.clear()
        self.files.clear()
        self.callbacks.clear()
        self.faults.clear()
        self.stats = Stats()
        self.limiter.reset()
        self.touch()
