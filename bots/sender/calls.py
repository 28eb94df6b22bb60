"""One queued message as one python-telegram-bot call, and what its answer means."""

from __future__ import annotations

import base64
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot
from telegram.warnings import PTBDeprecationWarning

Kind = Literal["sent", "rate_limited", "retry", "blocked", "failed", "migrated"]
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
# The sender paces itself and must see a 429 to hold its chat back: a rate limiter on the
# bot (the dealer bot's waits out 429s for replies, ``bots.dealer.pacing``) lets it through.
SELF_PACED = "self-paced"


@dataclass(frozen=True)
class Outcome:
    """What happened to one request."""

    kind: Kind
    message_id: int | None = None
    retry_after: float = 0.0
    new_chat_id: int | None = None
    error: str | None = None


def markup(data: dict[str, Any] | None) -> ReplyMarkup | None:
    """A Bot API reply_markup dict as the PTB object."""
    if data is None:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data)
    if "remove_keyboard" in data:
        return ReplyKeyboardRemove.de_json(data)
    return ForceReply.de_json(data)


async def call(
    bot: Bot,
    method: str,
    chat_id: int,
    payload: dict[str, Any],
    target_id: int | None,
    read_timeout: float | None,
) -> int | None:
    """Make the Bot API call; returns the message id it sent or edited."""
    p = payload
    extra: dict[str, Any] = {} if read_timeout is None else {"read_timeout": read_timeout}
    if isinstance(bot, ExtBot) and bot.rate_limiter is not None:
        extra["rate_limit_args"] = SELF_PACED
    if method == "sendMessage":
        message: Message | bool = await bot.send_message(
            chat_id,
            p["text"],
            parse_mode=p.get("parse_mode"),
            reply_markup=markup(p.get("reply_markup")),
            disable_notification=p.get("disable_notification"),
            **extra,
        )
    elif method == "sendDocument":
        document = p["document"]
        content, filename = (
            (base64.b64decode(document["content"]), document["filename"])
            if isinstance(document, dict)
            else (document, None)
        )
        message = await bot.send_document(
            chat_id,
            content,
            filename=filename,
            caption=p.get("caption"),
            parse_mode=p.get("parse_mode"),
            reply_markup=markup(p.get("reply_markup")),
            disable_notification=p.get("disable_notification"),
            **extra,
        )
    elif method == "editMessageText":
        message = await bot.edit_message_text(
            p["text"],
            chat_id=chat_id,
            message_id=target_id or p.get("message_id"),
            parse_mode=p.get("parse_mode"),
            reply_markup=_inline(p.get("reply_markup")),
            **extra,
        )
    elif method == "editMessageReplyMarkup":
        message = await bot.edit_message_reply_markup(
            chat_id=chat_id,
            message_id=target_id or p.get("message_id"),
            reply_markup=_inline(p.get("reply_markup")),
            **extra,
        )
    elif method == "setMyCommands":
        listed = [BotCommand(c["command"], c["description"]) for c in p["commands"]]
        message = await bot.set_my_commands(listed, scope=BotCommandScopeChat(chat_id), **extra)
    else:
        raise ValueError(f"cannot send {method}")
    return message.message_id if isinstance(message, Message) else target_id


def _inline(data: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    found = markup(data)
    if found is not None and not isinstance(found, InlineKeyboardMarkup):
        raise ValueError("an edit takes only an inline keyboard")
    return found


async def perform(
    bot: Bot,
    method: str,
    chat_id: int,
    payload: dict[str, Any],
    target_id: int | None,
    read_timeout: float | None = None,
) -> Outcome:
    """Make the call and sort its answer into what the sender does next."""
    try:
        sent = await call(bot, method, chat_id, payload, target_id, read_timeout)
        return Outcome("sent", sent)
    except RetryAfter as exc:
        return Outcome("rate_limited", retry_after=retry_seconds(exc), error=str(exc))
    except Forbidden as exc:
        return Outcome("blocked", error=str(exc))
    except ChatMigrated as exc:
        return Outcome("migrated", new_chat_id=int(exc.new_chat_id), error=str(exc))
    except BadRequest as exc:
        if "chat not found" in str(exc):
            # The user never started the bot, or the id is wrong: like a block, nothing
            # sent to this chat can arrive, and HQ should hear about it once.
            return Outcome("blocked", error=str(exc))
        if method.startswith("edit") and "not modified" in str(exc):
            # The same edit again: an earlier attempt landed though its answer was lost.
            return Outcome("sent", target_id or payload.get("message_id"))
        return Outcome("failed", error=f"BadRequest: {exc}")
    except TimedOut as exc:
        # Telegram may have sent it: resending can duplicate, dropping can lose.
        return Outcome("retry", error=f"TimedOut: {exc}")
    except (NetworkError, TelegramError) as exc:
        return Outcome("retry", error=f"{type(exc).__name__}: {exc}")
    except (ValueError, KeyError, TypeError) as exc:  # a payload the Bot API cannot take
        return Outcome("failed", error=f"{type(exc).__name__}: {exc}")


def retry_seconds(exc: RetryAfter) -> float:
    """The 429's retry_after in seconds, whichever type PTB hands out."""
    with warnings.catch_warnings():
        # PTB warns about the int form unless PTB_TIMEDELTA is set; both forms are fine here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
