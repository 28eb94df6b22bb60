"""Bot API methods about messages: send, edit, delete, documents, files, callbacks, chats."""

from __future__ import annotations

import mimetypes
from typing import Any

from bots.emulator.compose import (
    Call,
    apply_keyboard,
    caption,
    message_text,
    reply_markup,
    reply_target,
    resolve_chat,
    target_message,
)
from bots.emulator.errors import bad_request
from bots.emulator.models import JSON, Chat, StoredFile, StoredMessage

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MAX_DOWNLOAD = 20 * 1024 * 1024


def send_message(call: Call) -> JSON:
    """sendMessage."""
    chat = resolve_chat(call)
    text, entities = message_text(call)
    return _send(call, chat, text=text, entities=entities)


def _send(call: Call, chat: Chat, **content: Any) -> JSON:
    # What sendMessage and sendDocument share: the bot posts, with markup, reply and silence.
    inline, keyboard = reply_markup(call)
    message = call.emu.add_message(
        chat,
        call.bot.user(),
        from_bot=True,
        reply_markup=inline,
        keyboard=keyboard,
        reply_to=reply_target(call, chat),
        silent=call.params.boolean("disable_notification"),
        **content,
    )
    apply_keyboard(chat, keyboard)
    return message.to_api()


def _edited(call: Call, message: StoredMessage) -> JSON:
    message.edit_count += 1
    message.edit_date = call.emu.now()
    call.emu.changed(message)
    return message.to_api()


def _own(message: StoredMessage) -> StoredMessage:
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def edit_message_text(call: Call) -> JSON:
    """editMessageText (an absent reply_markup removes the inline keyboard, like Telegram)."""
    _, message = target_message(call, "edit")
    _own(message)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(call)
    inline, keyboard = reply_markup(call)
    if keyboard is not None:
        raise bad_request("inline keyboard expected")
    if (text, entities, inline) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, inline
    return _edited(call, message)


def edit_message_caption(call: Call) -> JSON:
    """editMessageCaption."""
    _, message = target_message(call, "edit")
    _own(message)
    if message.document is None:
        raise bad_request("there is no caption in the message to edit")
    text, entities = caption(call)
    inline, _ = reply_markup(call)
    if (text, entities, inline) == (
        message.caption,
        message.caption_entities,
        message.reply_markup,
    ):
        raise bad_request(NOT_MODIFIED)
    message.caption, message.caption_entities, message.reply_markup = text, entities, inline
    return _edited(call, message)


def edit_message_reply_markup(call: Call) -> JSON:
    """editMessageReplyMarkup."""
    _, message = target_message(call, "edit")
    _own(message)
    inline, keyboard = reply_markup(call)
    if keyboard is not None:
        raise bad_request("inline keyboard expected")
    if inline == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = inline
    return _edited(call, message)


def delete_message(call: Call) -> bool:
    """deleteMessage (bots may delete anything in private chats, own messages in groups)."""
    chat, message = target_message(call, "delete")
    if chat.is_group and not message.from_bot:
        raise bad_request("message can't be deleted")
    message.deleted = True
    call.emu.changed(message)
    return True


def _document_file(call: Call) -> StoredFile:
    upload = call.params.upload("document")
    if upload is not None:
        if not upload.content:
            raise bad_request("file must be non-empty")
        mime = upload.content_type
        if (not mime or mime == "application/octet-stream") and upload.filename:
            mime = mimetypes.guess_type(upload.filename)[0] or mime
        return call.emu.store_file(upload.content, upload.filename, mime)
    ref = call.params.text("document")
    if not ref:
        raise bad_request("there is no document in the request")
    stored = call.emu.files.get(ref)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


def send_document(call: Call) -> JSON:
    """sendDocument: a multipart upload or a file_id re-send."""
    chat = resolve_chat(call)
    stored = _document_file(call)
    text, entities = caption(call)
    return _send(call, chat, document=stored, caption=text, caption_entities=entities)


def get_file(call: Call) -> JSON:
    """getFile: file_path for download at /file/bot<token>/<file_path>."""
    file_id = call.params.text("file_id")
    stored = call.emu.files.get(file_id or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.content) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return stored.file()


def send_chat_action(call: Call) -> bool:
    """sendChatAction."""
    resolve_chat(call)
    if call.params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def answer_callback_query(call: Call) -> bool:
    """answerCallbackQuery: the answer is recorded on the callback for tests to read."""
    query_id = call.params.text("callback_query_id") or ""
    record = call.emu.callbacks.get(query_id)
    if record is None or record.bot_id != call.bot.id or record.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = call.params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.text = text
    record.show_alert = call.params.boolean("show_alert")
    record.url = call.params.text("url")
    call.emu.touch()
    return True


def get_chat(call: Call) -> JSON:
    """getChat (ChatFullInfo)."""
    chat = resolve_chat(call)
    info: dict[str, Any] = {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    return info
