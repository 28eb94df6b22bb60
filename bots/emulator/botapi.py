"""The Bot API endpoint /bot<token>/<method>: dispatch, faults, flood limits, long polling."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from aiohttp import web

from bots.emulator import methods_bot as mb
from bots.emulator import methods_msg as mm
from bots.emulator.compose import Call
from bots.emulator.errors import ApiError, blocked, too_many_requests
from bots.emulator.feed import ChangeFeed
from bots.emulator.models import BotState
from bots.emulator.params import Params
from bots.emulator.runtime import RUNTIME, Runtime

CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
STATUS_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class MethodSpec:
    """A Bot API method: handler, which flood limit applies, whether blocking refuses it."""

    name: str
    handler: Callable[[Call], Any] | None
    limit: Literal["send", "edit"] | None = None
    blockable: bool = False


def _method_table() -> Mapping[str, MethodSpec]:
    def send(name: str, handler: Callable[[Call], Any]) -> MethodSpec:
        return MethodSpec(name, handler, "send", True)

    def edit(name: str, handler: Callable[[Call], Any]) -> MethodSpec:
        return MethodSpec(name, handler, "edit", True)

    specs = [
        MethodSpec("getUpdates", None),
        send("sendMessage", mm.send_message),
        send("sendDocument", mm.send_document),
        edit("editMessageText", mm.edit_message_text),
        edit("editMessageCaption", mm.edit_message_caption),
        edit("editMessageReplyMarkup", mm.edit_message_reply_markup),
        MethodSpec("deleteMessage", mm.delete_message),
        MethodSpec("sendChatAction", mm.send_chat_action, None, True),
        MethodSpec("getFile", mm.get_file),
        MethodSpec("answerCallbackQuery", mm.answer_callback_query),
        MethodSpec("getChat", mm.get_chat),
        MethodSpec("getMe", mb.get_me),
        MethodSpec("setWebhook", mb.set_webhook),
        MethodSpec("deleteWebhook", mb.delete_webhook),
        MethodSpec("getWebhookInfo", mb.get_webhook_info),
        MethodSpec("setMyCommands", mb.set_my_commands),
        MethodSpec("getMyCommands", mb.get_my_commands),
        MethodSpec("deleteMyCommands", mb.delete_my_commands),
        MethodSpec("setMyDescription", mb.set_my_description),
        MethodSpec("getMyDescription", mb.get_my_description),
        MethodSpec("setMyShortDescription", mb.set_my_short_description),
        MethodSpec("getMyShortDescription", mb.get_my_short_description),
        MethodSpec("setMyName", mb.set_my_name),
        MethodSpec("getMyName", mb.get_my_name),
        MethodSpec("setChatMenuButton", mb.always_true),
        MethodSpec("getChatMenuButton", mb.get_chat_menu_button),
        MethodSpec("logOut", mb.always_true),
        MethodSpec("close", mb.always_true),
    ]
    return MappingProxyType({spec.name.lower(): spec for spec in specs})


METHODS = _method_table()


def api_response(body: dict[str, Any], status: int = 200) -> web.Response:
    """A JSON response like Telegram's."""
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


async def get_updates(feed: ChangeFeed, call: Call) -> list[dict[str, Any]]:
    """getUpdates with long polling; a newer poll ends an older one with 409."""
    bot, params, emu = call.bot, call.params, call.emu
    if bot.webhook is not None:
        raise ApiError(409, CONFLICT_WEBHOOK)
    offset = params.integer("offset", 0) or 0
    limit = min(100, max(1, params.integer("limit", 100) or 100))
    timeout = min(50.0, max(0.0, params.number("timeout", 0.0) or 0.0))
    allowed = params.json("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(kind) for kind in allowed] or None
    emu.confirm_updates(bot, offset)
    bot.poll_generation += 1
    generation = bot.poll_generation
    feed.notify()

    def ready() -> bool:
        return bool(bot.pending) or bot.poll_generation != generation or bot.webhook is not None

    await feed.wait_for(ready, timeout)
    if bot.poll_generation != generation:
        raise ApiError(409, CONFLICT_POLL)
    if bot.webhook is not None:
        raise ApiError(409, CONFLICT_WEBHOOK)
    return [dict(update) for update in bot.pending[:limit]]


async def execute(rt: Runtime, bot: BotState, spec: MethodSpec, params: Params) -> Any:
    """Run one call: injected faults, blocked chats, flood limits, then the method."""
    emu = rt.emulator
    chat_id = params.peek_chat_id()
    fault = emu.faults.take(spec.name, chat_id)
    if fault is not None:
        emu.stats.injected[fault.kind] += 1
        if fault.kind == "delay":
            await rt.feed.sleep(fault.delay)
        elif fault.kind == "429":
            emu.stats.record_429(chat_id, injected=True)
            raise too_many_requests(fault.retry_after)
        else:
            raise ApiError(fault.status, STATUS_TEXT.get(fault.status, "Internal Server Error"))
    if spec.blockable and chat_id is not None and emu.is_blocked(chat_id, bot_id=bot.id):
        raise blocked()
    call = Call(emu, bot, params)
    if spec.handler is None:
        return await get_updates(rt.feed, call)
    chat = emu.find_chat(bot.id, chat_id) if spec.limit and chat_id is not None else None
    bot_wide = spec.limit == "send"
    if chat is not None:
        wait = emu.limiter.retry_after(bot.id, chat.id, group=chat.is_group, bot_wide=bot_wide)
        if wait is not None:
            emu.stats.record_429(chat.id, injected=False)
            raise too_many_requests(wait)
    result = spec.handler(call)
    if chat is not None:
        emu.limiter.consume(bot.id, chat.id, group=chat.is_group, bot_wide=bot_wide)
    return result


async def handle_method(request: web.Request) -> web.Response:
    """/bot<token>/<method> (GET or POST)."""
    rt = request.app[RUNTIME]
    emu = rt.emulator
    bot = emu.bot_for_token(request.match_info["token"])
    spec = METHODS.get(request.match_info["method"].lower())
    try:
        if bot is None:
            raise ApiError(401, "Unauthorized")
        if spec is None:
            raise ApiError(404, "Not Found")
        emu.stats.calls[spec.name] += 1
        result = await execute(rt, bot, spec, await Params.from_request(request))
    except ApiError as err:
        emu.stats.errors[err.code] += 1
        return api_response(err.to_api(), err.code)
    except web.HTTPException:
        raise
    except Exception as exc:  # an emulator bug: answer like Telegram would, but say what broke
        logging.getLogger(__name__).exception("emulator failed on %s", request.path)
        emu.stats.errors[500] += 1
        return api_response(ApiError(500, f"Internal Server Error: {exc!r}").to_api(), 500)
    return api_response({"ok": True, "result": result})


async def handle_file(request: web.Request) -> web.Response:
    """/file/bot<token>/<file_path>: download a file the bot got from getFile."""
    emu = request.app[RUNTIME].emulator
    if emu.bot_for_token(request.match_info["token"]) is None:
        return api_response(ApiError(401, "Unauthorized").to_api(), 401)
    stored = emu.file_by_path(request.match_info["file_path"])
    if stored is None:
        return api_response(ApiError(404, "Not Found").to_api(), 404)
    return web.Response(body=stored.content, content_type=stored.mime_type)


def add_routes(app: web.Application) -> None:
    """Register the Bot API and file download routes."""
    app.router.add_route("GET", "/bot{token}/{method}", handle_method)
    app.router.add_route("POST", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{file_path:.+}", handle_file)
