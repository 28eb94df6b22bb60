"""The /_emu/ admin API: info, change feed, faults, stats, limits, reset; and the dev page."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

from aiohttp import web

from bots.emulator.emu_http import body, flag, guarded, ok, opt_int, runtime, wait_seconds
from bots.emulator.errors import EmulatorError
from bots.emulator.faults import FAULT_KINDS
from bots.emulator.limits import Limits
from bots.emulator.models import JSON
from bots.emulator.state import Emulator


@guarded
async def info(request: web.Request) -> web.Response:
    """GET /_emu/info: bots, limits, revision."""
    emu = runtime(request).emulator
    bots = [
        {"id": b.id, "username": b.username, "first_name": b.first_name} for b in emu.bots.values()
    ]
    return ok(
        {
            "bots": bots,
            "limits": dataclasses.asdict(emu.limiter.limits),
            "revision": emu.revision,
        }
    )


@guarded
async def changes(request: web.Request) -> web.Response:
    """GET /_emu/changes?since=&wait=: long-poll until the revision passes `since`."""
    rt = runtime(request)
    since = opt_int(request.query, "since") or 0
    await rt.feed.wait_for(lambda: rt.emulator.revision > since, wait_seconds(request.query))
    return ok({"revision": rt.emulator.revision})


@guarded
async def list_faults(request: web.Request) -> web.Response:
    """GET /_emu/faults: pending faults and blocked chats."""
    emu = runtime(request).emulator
    blocked = [{"bot_id": b, "chat_id": c} for b, c in sorted(emu.faults.blocked)]
    return ok({"faults": [f.to_view() for f in emu.faults.faults], "blocked": blocked})


@guarded
async def add_fault(request: web.Request) -> web.Response:
    """POST /_emu/faults {kind: 429|5xx|delay|blocked, count, method, chat_id, ...}."""
    data = await body(request)
    kind = str(data.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise EmulatorError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    fault = runtime(request).emulator.inject_fault(
        kind,  # type: ignore[arg-type]
        count=opt_int(data, "count") or 1,
        method=data.get("method") or None,
        chat_id=opt_int(data, "chat_id"),
        retry_after=opt_int(data, "retry_after") or 1,
        status=opt_int(data, "status") or 500,
        delay=float(data.get("delay") or 1.0),
        bot_id=opt_int(data, "bot_id"),
    )
    return ok(fault.to_view(), 201)


@guarded
async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /_emu/faults: drop pending faults (?unblock=1 also unblocks every chat)."""
    emu = runtime(request).emulator
    emu.clear_faults()
    if flag(request.query, "unblock"):
        for bot_id, chat_id in list(emu.faults.blocked):
            emu.unblock(chat_id, bot_id=bot_id)
    return ok(True)


@guarded
async def stats(request: web.Request) -> web.Response:
    """GET /_emu/stats."""
    return ok(runtime(request).emulator.stats.to_view())


@guarded
async def reset(request: web.Request) -> web.Response:
    """POST /_emu/reset."""
    runtime(request).emulator.reset()
    return ok(True)


@guarded
async def get_limits(request: web.Request) -> web.Response:
    """GET /_emu/limits."""
    return ok(dataclasses.asdict(runtime(request).emulator.limiter.limits))


@guarded
async def set_limits(request: web.Request) -> web.Response:
    """POST /_emu/limits {enabled?, bot_per_second?, ...}: replace some limit numbers."""
    data = await body(request)
    emu = runtime(request).emulator
    names = {f.name for f in dataclasses.fields(Limits)}
    unknown = set(data) - names
    if unknown:
        raise EmulatorError(f"unknown limit fields: {', '.join(sorted(unknown))}")
    current = emu.limiter.limits
    changes = {
        key: flag(data, key)
        if isinstance(getattr(current, key), bool)
        else type(getattr(current, key))(value)
        for key, value in data.items()
    }
    emu.limiter.limits = dataclasses.replace(current, **changes)
    return ok(dataclasses.asdict(emu.limiter.limits))


def visible_commands(emu: Emulator, bot_id: int | None, chat_id: int, language: str) -> list[JSON]:
    """The command menu a user would see, with Telegram's scope/language fallback."""
    bot = emu.bot(bot_id)
    scopes = [
        {"type": "chat", "chat_id": chat_id},
        {"type": "all_private_chats"},
        {"type": "default"},
    ]
    for scope in scopes:
        key = json.dumps(scope, sort_keys=True)
        for lang in (language, ""):
            if (key, lang) in bot.commands:
                return bot.commands[(key, lang)]
    return []


@guarded
async def commands(request: web.Request) -> web.Response:
    """GET /_emu/commands?chat_id=&language_code=&bot_id=: the user's command menu."""
    query = request.query
    emu = runtime(request).emulator
    found = visible_commands(
        emu,
        opt_int(query, "bot_id"),
        opt_int(query, "chat_id") or 0,
        query.get("language_code", ""),
    )
    return ok(found)


async def page(request: web.Request) -> web.Response:
    """GET / and /devchat: the dev chat page."""
    html = resources.files("bots.emulator").joinpath("devchat.html").read_text("utf-8")
    return web.Response(text=html, content_type="text/html")


def add_routes(app: web.Application) -> None:
    """Register the admin part of /_emu/ and the dev page."""
    r = app.router
    r.add_get("/", page)
    r.add_get("/devchat", page)
    r.add_get("/_emu/info", info)
    r.add_get("/_emu/changes", changes)
    r.add_get("/_emu/faults", list_faults)
    r.add_post("/_emu/faults", add_fault)
    r.add_delete("/_emu/faults", clear_faults)
    r.add_get("/_emu/stats", stats)
    r.add_post("/_emu/reset", reset)
    r.add_get("/_emu/limits", get_limits)
    r.add_post("/_emu/limits", set_limits)
    r.add_get("/_emu/commands", commands)
