"""Helpers for the /_emu/ JSON API: responses, bodies, error mapping."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bots.emulator.errors import EmulatorError
from bots.emulator.runtime import RUNTIME, Runtime

Handler = Callable[[web.Request], Awaitable[web.Response]]
MAX_WAIT = 60.0


def ok(result: Any, status: int = 200) -> web.Response:
    """{"ok": true, "result": ...}."""
    return web.Response(
        text=json.dumps({"ok": True, "result": result}, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


def fail(message: str, status: int = 400) -> web.Response:
    """{"ok": false, "error": ...}."""
    return web.Response(
        text=json.dumps({"ok": False, "error": message}, ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


def guarded(handler: Handler) -> Handler:
    """Turn EmulatorError and malformed input into JSON errors."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except EmulatorError as err:
            return fail(err.message, err.status)
        except (KeyError, ValueError, TypeError) as err:
            return fail(f"bad request: {err}", 400)

    return wrapper


def runtime(request: web.Request) -> Runtime:
    """The server's runtime."""
    return request.app[RUNTIME]


async def body(request: web.Request) -> dict[str, Any]:
    """A JSON object body (or form fields); empty body gives {}."""
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return data
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def opt_int(data: dict[str, Any] | Any, key: str) -> int | None:
    """An optional integer field."""
    value = data.get(key)
    if value is None or value == "":
        return None
    return int(value)


def flag(data: dict[str, Any] | Any, key: str) -> bool:
    """A boolean field (JSON bool or 'true'/'1')."""
    value = data.get(key)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes") if value is not None else False


def wait_seconds(data: dict[str, Any] | Any) -> float:
    """The 'wait' long-poll parameter, capped."""
    value = data.get("wait")
    return min(MAX_WAIT, max(0.0, float(value))) if value not in (None, "") else 0.0
