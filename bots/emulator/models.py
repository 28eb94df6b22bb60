"""Data records of the emulated Telegram and their Bot API JSON forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


def _put(data: JSON, **optional: Any) -> JSON:
    """Add the keys whose value is not None/empty."""
    data.update({k: v for k, v in optional.items() if v not in (None, [], {}, "")})
    return data


@dataclass
class User:
    """A Telegram user (or the bot itself when is_bot)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_api(self) -> JSON:
        """Bot API User object."""
        data = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        return _put(
            data,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )


@dataclass
class WebhookConfig:
    """A bot's webhook as set by setWebhook."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    version: int = 0


@dataclass
class BotState:
    """One bot token: identity, update queue, webhook, commands."""

    id: int
    token: str
    username: str
    first_name: str = "Baton Dev Bot"
    next_update_id: int = 1
    pending: list[JSON] = field(default_factory=list)
    allowed_updates: list[str] | None = None
    webhook: WebhookConfig | None = None
    webhook_versions: int = 0
    last_error_date: int | None = None
    last_error_message: str | None = None
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    poll_generation: int = 0

    def user(self) -> User:
        """The bot as a User."""
        return User(
            self.id, self.first_name, username=self.username, language_code=None, is_bot=True
        )

    def clear(self) -> None:
        """Forget everything except identity and the update id counter."""
        self.pending.clear()
        self.allowed_updates = None
        self.webhook = None
        self.last_error_date = self.last_error_message = None
        self.commands.clear()
        self.texts.clear()


@dataclass
class StoredFile:
    """File content known to the emulator (uploaded by a user or a bot)."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    def document(self) -> JSON:
        """Bot API Document object."""
        data = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        return _put(data, file_name=self.file_name, mime_type=self.mime_type)

    def file(self) -> JSON:
        """Bot API File object (file_path relative, as Telegram sends it)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass(eq=False)
class Chat:
    """A private chat or group as seen by one bot; holds the full message list."""

    id: int
    type: str
    bot_id: int
    title: str | None = None
    peer: User | None = None
    member_ids: list[int] = field(default_factory=list)
    messages: list[StoredMessage] = field(default_factory=list, repr=False)
    next_message_id: int = 1
    reply_keyboard: JSON | None = None

    @property
    def is_group(self) -> bool:
        """Whether this is a group/supergroup (group flood limits apply)."""
        return self.type in ("group", "supergroup")

    def to_api(self) -> JSON:
        """Bot API Chat object."""
        data: JSON = {"id": self.id, "type": self.type}
        if self.peer is not None:
            return _put(
                data,
                first_name=self.peer.first_name,
                last_name=self.peer.last_name,
                username=self.peer.username,
            )
        return _put(data, title=self.title)

    def to_view(self) -> JSON:
        """Emulator view (for /_emu/ clients)."""
        return {
            **self.to_api(),
            "bot_id": self.bot_id,
            "member_ids": list(self.member_ids),
            "message_count": len(self.messages),
            "reply_keyboard": self.reply_keyboard,
        }


@dataclass(eq=False)
class StoredMessage:
    """One message in a chat, in either direction, with edits applied."""

    message_id: int
    chat: Chat = field(repr=False)
    sender: User
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    keyboard: JSON | None = None
    document: StoredFile | None = None
    reply_to: StoredMessage | None = field(default=None, repr=False)
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False
    silent: bool = False
    revision: int = 0

    def to_api(self, nested: bool = True) -> JSON:
        """Bot API Message object."""
        data: JSON = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_api(),
            "from": self.sender.to_api(),
        }
        _put(
            data,
            text=self.text,
            entities=self.entities,
            caption=self.caption,
            caption_entities=self.caption_entities,
            reply_markup=self.reply_markup,
            edit_date=self.edit_date,
        )
        if self.document is not None:
            data["document"] = self.document.document()
        if nested and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(nested=False)
        return data

    def buttons(self) -> list[JSON]:
        """All inline keyboard buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def to_view(self) -> JSON:
        """Flat emulator view (for tests, tools and the dev page)."""
        doc = self.document
        return {
            "message_id": self.message_id,
            "chat_id": self.chat.id,
            "from_bot": self.from_bot,
            "sender_id": self.sender.id,
            "date": self.date,
            "text": self.text,
            "entities": self.entities,
            "caption": self.caption,
            "reply_markup": self.reply_markup,
            "keyboard": self.keyboard,
            "document": None
            if doc is None
            else {**doc.document(), "url": f"/_emu/files/{doc.file_id}"},
            "reply_to_message_id": self.reply_to.message_id if self.reply_to else None,
            "edit_count": self.edit_count,
            "edit_date": self.edit_date,
            "deleted": self.deleted,
            "silent": self.silent,
            "revision": self.revision,
        }


@dataclass
class CallbackRecord:
    """A callback query sent by pressing a button, and the bot's answer to it."""

    id: str
    bot_id: int
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    forged: bool = False
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None

    def to_view(self) -> JSON:
        """Emulator view."""
        return {
            "callback_query_id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "forged": self.forged,
            "answered": self.answered,
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
        }
