"""Bot API methods about the bot itself: getMe, webhooks, commands, descriptions."""

from __future__ import annotations

import json
import re
from typing import Any

from bots.emulator.compose import Call
from bots.emulator.errors import bad_request
from bots.emulator.models import JSON, WebhookConfig

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


def get_me(call: Call) -> JSON:
    """getMe."""
    return {
        **call.bot.user().to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": True,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def set_webhook(call: Call) -> bool:
    """setWebhook (plain http URLs are accepted, for local development)."""
    params, bot = call.params, call.bot
    url = params.text("url") or ""
    if not url:
        return delete_webhook(call)
    if not re.match(r"https?://[^\s/]+", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token") or None
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    allowed = params.json("allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed_updates JSON object")
    if params.boolean("drop_pending_updates"):
        bot.pending.clear()
    if allowed is not None:
        bot.allowed_updates = [str(kind) for kind in allowed] or None
    bot.webhook_versions += 1
    max_connections = params.integer("max_connections", 40) or 40
    bot.webhook = WebhookConfig(
        url, secret, max_connections, bot.allowed_updates, bot.webhook_versions
    )
    call.emu.touch()
    return True


def delete_webhook(call: Call) -> bool:
    """deleteWebhook."""
    if call.params.boolean("drop_pending_updates"):
        call.bot.pending.clear()
    call.bot.webhook = None
    call.emu.touch()
    return True


def get_webhook_info(call: Call) -> JSON:
    """getWebhookInfo."""
    bot = call.bot
    info: dict[str, Any] = {
        "url": bot.webhook.url if bot.webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.pending),
    }
    if bot.webhook is not None:
        info["max_connections"] = bot.webhook.max_connections
        if bot.webhook.allowed_updates:
            info["allowed_updates"] = bot.webhook.allowed_updates
    if bot.last_error_date is not None:
        info["last_error_date"] = bot.last_error_date
        info["last_error_message"] = bot.last_error_message
    return info


def _commands_key(call: Call) -> tuple[str, str]:
    scope = call.params.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    language = call.params.text("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2,3}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


def set_my_commands(call: Call) -> bool:
    """setMyCommands, per scope and language_code."""
    commands = call.params.json("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    clean = []
    for item in commands:
        if not isinstance(item, dict) or not _COMMAND.fullmatch(str(item.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        description = str(item.get("description", ""))
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": item["command"], "description": description})
    key = _commands_key(call)
    if clean:
        call.bot.commands[key] = clean
    else:
        call.bot.commands.pop(key, None)
    call.emu.touch()
    return True


def get_my_commands(call: Call) -> list[JSON]:
    """getMyCommands (exact scope + language, no fallback)."""
    return list(call.bot.commands.get(_commands_key(call), []))


def delete_my_commands(call: Call) -> bool:
    """deleteMyCommands."""
    call.bot.commands.pop(_commands_key(call), None)
    call.emu.touch()
    return True


def _text_setter(field: str, limit: int) -> Any:
    def setter(call: Call) -> bool:
        value = call.params.text(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        language = call.params.text("language_code") or ""
        call.bot.texts[f"{field}:{language}"] = value
        return True

    setter.__doc__ = f"set{field.title().replace('_', '')}."
    return setter


def _text_getter(field: str) -> Any:
    def getter(call: Call) -> JSON:
        language = call.params.text("language_code") or ""
        value = call.bot.texts.get(f"{field}:{language}")
        if value is None and field == "name":
            value = call.bot.first_name
        return {field: value or ""}

    getter.__doc__ = f"get{field.title().replace('_', '')}."
    return getter


def always_true(call: Call) -> bool:
    """Methods that only need to succeed here (logOut, close, setChatMenuButton...)."""
    return True


def get_chat_menu_button(call: Call) -> JSON:
    """getChatMenuButton."""
    return {"type": "default"}


set_my_description = _text_setter("description", 512)
get_my_description = _text_getter("description")
set_my_short_description = _text_setter("short_description", 120)
get_my_short_description = _text_getter("short_description")
set_my_name = _text_setter("name", 64)
get_my_name = _text_getter("name")
