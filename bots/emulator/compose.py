"""Shared pieces of Bot API methods: the call context, chats, text, keyboards, replies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bots.emulator.errors import bad_request
from bots.emulator.markup import parse_text
from bots.emulator.models import JSON, BotState, Chat, StoredMessage
from bots.emulator.params import Params
from bots.emulator.state import Emulator

_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_BAD_MARKUP = "can't parse reply keyboard markup JSON object"


@dataclass
class Call:
    """One Bot API call: the emulator, the calling bot and its parameters."""

    emu: Emulator
    bot: BotState
    params: Params


def resolve_chat(call: Call) -> Chat:
    """The chat named by chat_id, or 400 'chat not found'."""
    chat = call.emu.find_chat(call.bot.id, call.params.chat_id())
    if chat is None:
        raise bad_request("chat not found")
    return chat


def formatted(call: Call, raw: str, entities_key: str) -> tuple[str, list[JSON]]:
    """Apply parse_mode, or take explicit entities."""
    explicit = call.params.json(entities_key)
    if explicit is not None:
        if not isinstance(explicit, list):
            raise bad_request(f"can't parse {entities_key} JSON object")
        return raw, explicit
    return parse_text(raw, call.params.text("parse_mode"))


def message_text(call: Call) -> tuple[str, list[JSON]]:
    """The text (+ entities) of sendMessage/editMessageText, validated like Telegram."""
    raw = call.params.text("text")
    if not raw:
        raise bad_request("message text is empty")
    text, entities = formatted(call, raw, "entities")
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text.encode("utf-16-le")) // 2 > 4096:
        raise bad_request("message is too long")
    return text, entities


def caption(call: Call) -> tuple[str | None, list[JSON]]:
    """The optional caption (+ entities) of a media message."""
    raw = call.params.text("caption")
    if not raw:
        return None, []
    text, entities = formatted(call, raw, "caption_entities")
    if len(text.encode("utf-16-le")) // 2 > 1024:
        raise bad_request("message caption is too long")
    return text or None, entities


def _check_inline_button(button: Any) -> JSON:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not button["text"]:
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= 64
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button and not (isinstance(url, str) and re.match(r"(https?|tg)://\S+$", url)):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return {k: v for k, v in button.items() if v is not None}


def _rows(raw: JSON, key: str) -> list[list[Any]]:
    rows = raw.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(_BAD_MARKUP)
    return rows


def reply_markup(call: Call) -> tuple[JSON | None, JSON | None]:
    """Split reply_markup into (inline keyboard for the message, reply keyboard for the chat)."""
    raw = call.params.json("reply_markup", error=_BAD_MARKUP)
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise bad_request(_BAD_MARKUP)
    if "inline_keyboard" in raw:
        rows = [[_check_inline_button(b) for b in row] for row in _rows(raw, "inline_keyboard")]
        if sum(len(row) for row in rows) > 100:
            raise bad_request("too many inline keyboard buttons")
        rows = [row for row in rows if row]
        return ({"inline_keyboard": rows} if rows else None), None
    if "keyboard" in raw:
        rows = [
            [{"text": b} if isinstance(b, str) else b for b in row]
            for row in _rows(raw, "keyboard")
        ]
        if any(not isinstance(b, dict) or not b.get("text") for row in rows for b in row):
            raise bad_request("keyboard button text must be non-empty")
        return None, {**raw, "keyboard": rows}
    if raw.get("remove_keyboard") is True or raw.get("force_reply") is True:
        return None, raw
    raise bad_request(_BAD_MARKUP)


def apply_keyboard(chat: Chat, keyboard: JSON | None) -> None:
    """Show or hide the chat's reply keyboard."""
    if keyboard is None:
        return
    if "keyboard" in keyboard:
        chat.reply_keyboard = keyboard
    elif keyboard.get("remove_keyboard"):
        chat.reply_keyboard = None


def reply_target(call: Call, chat: Chat) -> StoredMessage | None:
    """The message replied to (reply_parameters or legacy reply_to_message_id)."""
    params = call.params
    options = params.json("reply_parameters")
    allow = params.boolean("allow_sending_without_reply")
    if isinstance(options, dict):
        message_id = options.get("message_id")
        allow = bool(options.get("allow_sending_without_reply", allow))
    else:
        message_id = params.integer("reply_to_message_id")
    if message_id is None:
        return None
    target = call.emu.find_message(chat, int(message_id))
    if target is None and not allow:
        raise bad_request("message to be replied not found")
    return target


def target_message(call: Call, verb: str) -> tuple[Chat, StoredMessage]:
    """The (chat, message) an edit or delete refers to; 400 '<message to verb> not found'."""
    if call.params.has("inline_message_id") and not call.params.has("chat_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = resolve_chat(call)
    message_id = call.params.require_int("message_id", "message identifier is not specified")
    message = call.emu.find_message(chat, message_id)
    if message is None:
        raise bad_request(f"message to {verb} not found")
    return chat, message
