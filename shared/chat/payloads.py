"""The messages the outbox takes, and the check that refuses what could never be sent."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

MAX_DOCUMENT_BYTES = 1024 * 1024  # the outbox is not a file store: larger files go by file_id
EDITS = frozenset({"editMessageText", "editMessageReplyMarkup"})
# Allowed payload fields per method; the ones marked True are required.
FIELDS: dict[str, dict[str, bool]] = {
    "sendMessage": {
        "text": True,
        "parse_mode": False,
        "reply_markup": False,
        "disable_notification": False,
    },
    "editMessageText": {
        "text": True,
        "parse_mode": False,
        "reply_markup": False,
        "message_id": False,
    },
    "editMessageReplyMarkup": {"reply_markup": False, "message_id": False},
    "setMyCommands": {"commands": True},  # the menu of one chat (BotCommandScopeChat)
    "sendDocument": {
        "document": True,
        "caption": False,
        "parse_mode": False,
        "reply_markup": False,
        "disable_notification": False,
    },
}


class Lane(IntEnum):
    """Priority lanes, 0 first. A lane never waits behind a higher-numbered one."""

    OFFER = 0  # order offers: the dealer's minutes to accept are already running
    # Replies to a user's own command or button share lane 1 with handover prompts and HQ
    # alerts: someone is looking at the chat, so they beat everything bulk, but they never
    # delay an offer, whose deadline decides where an order goes.
    PROMPT = 1
    NOTICE = 2  # routine status notices nobody is waiting for
    BULK = 3  # broadcasts and statements


@dataclass(frozen=True)
class Outgoing:
    """One message to queue (see ``submit``)."""

    key: str
    chat_id: int
    lane: int
    method: str
    payload: dict[str, Any] = field(default_factory=dict)
    refers_to: str | None = None


def validate(message: Outgoing) -> None:
    """Refuse a message the sender could not send, with the reason."""
    if not message.key or len(message.key) > 200:
        raise ValueError("key must be 1 to 200 characters")
    if message.method == "answerCallbackQuery":
        raise ValueError("answerCallbackQuery must be answered at once, not queued")
    fields = FIELDS.get(message.method)
    if fields is None:
        raise ValueError(f"method {message.method!r} is not one of {', '.join(FIELDS)}")
    if message.lane not in tuple(Lane):
        raise ValueError(f"lane must be 0 to {max(Lane)}, not {message.lane}")
    unknown = set(message.payload) - set(fields)
    missing = {name for name, required in fields.items() if required} - set(message.payload)
    if unknown or missing:
        raise ValueError(f"{message.method} payload: unknown {unknown or '{}'}, missing {missing}")
    if message.method in EDITS and (message.refers_to is None) == (
        "message_id" not in message.payload
    ):
        raise ValueError("an edit needs exactly one of refers_to and payload['message_id']")
    if message.method not in EDITS and message.refers_to is not None:
        raise ValueError("only edits refer to another message")
    if not isinstance(message.payload.get("reply_markup", {}), dict):
        raise ValueError("reply_markup must be a Bot API reply markup object (a dict)")
    if message.method == "sendDocument":
        _check_document(message.payload["document"])
    json.dumps(message.payload)  # the payload is stored as JSON: refuse what would not be


def _check_document(document: object) -> None:
    if isinstance(document, str) and document:
        return  # a Telegram file_id
    if not isinstance(document, dict) or set(document) != {"filename", "content"}:
        raise ValueError("document must be a file_id or {'filename': ..., 'content': base64}")
    try:
        size = len(base64.b64decode(document["content"], validate=True))
    except (binascii.Error, TypeError):
        raise ValueError("document content must be base64") from None
    if size == 0 or size > MAX_DOCUMENT_BYTES:
        raise ValueError(f"document must be 1 to {MAX_DOCUMENT_BYTES} bytes, not {size}")
