"""The Emulator: the in-memory Telegram model as users see it. Pure, no I/O."""

from __future__ import annotations

from typing import Any

from bots.emulator.controls import Controls
from bots.emulator.errors import EmulatorError
from bots.emulator.models import BotState, CallbackRecord, Chat, StoredMessage, User
from bots.emulator.text import detect_entities, utf16_len


class Emulator(Controls):
    """Users, groups and their actions (messages, button presses, uploads), faults, reset."""

    # -- people and chats ----------------------------------------------------
    def create_user(
        self,
        first_name: str = "Dealer",
        *,
        username: str | None = None,
        language_code: str | None = "en",
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> User:
        """Create a user; their private chat with a bot has chat id == user id."""
        if user_id is None:
            user_id = 100000 + self.serial()
            while user_id in self.users:
                user_id = 100000 + self.serial()
        if user_id <= 0 or user_id in self.users or user_id in self.bots:
            raise EmulatorError(f"user id {user_id} is taken or invalid", 409)
        if not first_name.strip():
            raise EmulatorError("first_name is empty")
        user = User(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        self.touch()
        return user

    def create_group(
        self,
        title: str,
        member_ids: list[int],
        *,
        bot_id: int | None = None,
        supergroup: bool = False,
    ) -> Chat:
        """Create a group (negative id) with these users and the bot as members."""
        bot = self.bot(bot_id)
        for member in member_ids:
            self.user(member)
        n = self.serial()
        chat_id = -(1_000_000_000_000 + n) if supergroup else -(4_000_000_000 + n)
        kind = "supergroup" if supergroup else "group"
        chat = Chat(chat_id, kind, bot.id, title=title, member_ids=list(member_ids))
        self.chats[(bot.id, chat_id)] = chat
        self.touch()
        return chat

    def chat(self, chat_id: int, *, bot_id: int | None = None) -> Chat:
        """A chat by id (a user's private chat is created on first use)."""
        chat = self.find_chat(self.bot(bot_id).id, chat_id)
        if chat is None:
            raise EmulatorError(f"unknown chat {chat_id}", 404)
        return chat

    def messages(
        self, chat_id: int, *, bot_id: int | None = None, after: int = 0, since: int = 0
    ) -> list[StoredMessage]:
        """Messages of a chat (deleted ones included, flagged), optionally only newer ones."""
        chat = self.chat(chat_id, bot_id=bot_id)
        return [m for m in chat.messages if m.message_id > after and m.revision > since]

    def callback(self, callback_query_id: str) -> CallbackRecord:
        """A callback query record (to read the bot's answer)."""
        if callback_query_id not in self.callbacks:
            raise EmulatorError(f"unknown callback query {callback_query_id}", 404)
        return self.callbacks[callback_query_id]

    # -- user actions --------------------------------------------------------
    def _acting(
        self, user_id: int, chat_id: int | None, bot_id: int | None
    ) -> tuple[User, BotState, Chat]:
        user = self.user(user_id)
        bot = self.bot(bot_id)
        chat = self.chat(user.id if chat_id is None else chat_id, bot_id=bot.id)
        if user.id not in chat.member_ids:
            raise EmulatorError(f"user {user.id} is not a member of chat {chat.id}", 403)
        if self.is_blocked(chat.id, bot_id=bot.id):
            raise EmulatorError("the user has blocked this bot; unblock first", 409)
        return user, bot, chat

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        bot_id: int | None = None,
        reply_to: int | None = None,
    ) -> StoredMessage:
        """The user sends a text message (commands get bot_command entities)."""
        user, bot, chat = self._acting(user_id, chat_id, bot_id)
        if not text.strip():
            raise EmulatorError("message text is empty")
        if utf16_len(text) > 4096:
            raise EmulatorError("message is too long")
        target = None if reply_to is None else self.find_message(chat, reply_to)
        if reply_to is not None and target is None:
            raise EmulatorError(f"message {reply_to} to reply to not found", 404)
        message = self.add_message(
            chat, user, from_bot=False, text=text, entities=detect_entities(text), reply_to=target
        )
        keyboard = chat.reply_keyboard
        if keyboard and keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        self.push_update(bot, "message", message.to_api())
        return message

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        *,
        forge: bool = False,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> CallbackRecord:
        """The user presses an inline button (by callback_data or text); `forge` skips checks."""
        user, bot, chat = self._acting(user_id, chat_id, bot_id)
        message = self.find_message(chat, message_id)
        if message is None:
            raise EmulatorError(f"message {message_id} not found in chat {chat.id}", 404)
        if not forge:
            data = self._button_data(message, data, text)
        elif data is None:
            raise EmulatorError("a forged press needs data")
        n = self.serial()
        record = CallbackRecord(
            str(4_000_000_000_000_000 + n), bot.id, user.id, chat.id, message_id, data, forged=forge
        )
        self.callbacks[record.id] = record
        payload: dict[str, Any] = {
            "id": record.id,
            "from": user.to_api(),
            "message": message.to_api(),
            "chat_instance": str(abs(chat.id) * 31 + bot.id),
            "data": data,
        }
        self.push_update(bot, "callback_query", payload)
        return record

    @staticmethod
    def _button_data(message: StoredMessage, data: str | None, text: str | None) -> str:
        if data is None and text is None:
            raise EmulatorError("press needs data or text")
        for button in message.buttons():
            if (data is not None and button.get("callback_data") == data) or (
                data is None and button.get("text") == text
            ):
                if "callback_data" not in button:
                    raise EmulatorError(f"button {button.get('text')!r} has no callback_data")
                return str(button["callback_data"])
        wanted = f"data {data!r}" if data is not None else f"text {text!r}"
        raise EmulatorError(f"message {message.message_id} has no button with {wanted}")

    def upload_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        bot_id: int | None = None,
    ) -> StoredMessage:
        """The user sends a file as a document; the bot can download it with getFile."""
        user, bot, chat = self._acting(user_id, chat_id, bot_id)
        if not content:
            raise EmulatorError("file is empty")
        stored = self.store_file(content, filename, mime_type)
        message = self.add_message(
            chat,
            user,
            from_bot=False,
            document=stored,
            caption=caption or None,
            caption_entities=detect_entities(caption) if caption else [],
        )
        self.push_update(bot, "message", message.to_api())
        return message

    def reset(self) -> None:
        """Back to a clean state (users, chats, files, faults, stats, webhooks, commands)."""
        self.clear()
