"""The /_emu/ client API: act as users, read chats and callback answers."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from bots.emulator.emu_http import (
    body,
    fail,
    flag,
    guarded,
    ok,
    opt_int,
    runtime,
    wait_seconds,
)
from bots.emulator.errors import EmulatorError
from bots.emulator.models import JSON, User
from bots.emulator.state import Emulator


def user_view(emu: Emulator, user: User) -> JSON:
    """A user plus their private chat id and blocked flag."""
    return {**user.to_api(), "chat_id": user.id, "blocked": emu.is_blocked(user.id)}


@guarded
async def list_users(request: web.Request) -> web.Response:
    """GET /_emu/users."""
    emu = runtime(request).emulator
    return ok([user_view(emu, u) for u in emu.users.values()])


@guarded
async def create_user(request: web.Request) -> web.Response:
    """POST /_emu/users {first_name, username?, language_code?, last_name?, id?}."""
    data = await body(request)
    emu = runtime(request).emulator
    user = emu.create_user(
        str(data.get("first_name") or "Dealer"),
        username=data.get("username") or None,
        language_code=data.get("language_code") or "en",
        last_name=data.get("last_name") or None,
        user_id=opt_int(data, "id"),
    )
    return ok(user_view(emu, user), 201)


@guarded
async def create_group(request: web.Request) -> web.Response:
    """POST /_emu/groups {title, member_ids, bot_id?, supergroup?}."""
    data = await body(request)
    chat = runtime(request).emulator.create_group(
        str(data.get("title") or "Group"),
        [int(m) for m in data.get("member_ids", [])],
        bot_id=opt_int(data, "bot_id"),
        supergroup=flag(data, "supergroup"),
    )
    return ok(chat.to_view(), 201)


@guarded
async def send_text(request: web.Request) -> web.Response:
    """POST /_emu/users/{user_id}/messages {text, chat_id?, reply_to?, bot_id?}."""
    data = await body(request)
    message = runtime(request).emulator.send_text(
        int(request.match_info["user_id"]),
        str(data.get("text") or ""),
        chat_id=opt_int(data, "chat_id"),
        bot_id=opt_int(data, "bot_id"),
        reply_to=opt_int(data, "reply_to"),
    )
    return ok(message.to_view(), 201)


@guarded
async def press(request: web.Request) -> web.Response:
    """POST /_emu/users/{user_id}/press {message_id, data|text, forge?, wait?}."""
    data = await body(request)
    rt = runtime(request)
    record = rt.emulator.press(
        int(request.match_info["user_id"]),
        int(data["message_id"]),
        data.get("data"),
        data.get("text"),
        forge=flag(data, "forge"),
        chat_id=opt_int(data, "chat_id"),
        bot_id=opt_int(data, "bot_id"),
    )
    await rt.feed.wait_for(lambda: record.answered, wait_seconds(data))
    return ok(record.to_view(), 201)


async def _document_fields(request: web.Request) -> tuple[dict[str, Any], str, bytes, str | None]:
    if request.content_type == "multipart/form-data":
        form = await request.post()
        part = form.get("file") or form.get("document")
        if not isinstance(part, web.FileField):
            raise EmulatorError("multipart upload needs a 'file' part")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        name = fields.get("filename") or part.filename
        return fields, name, part.file.read(), fields.get("mime_type") or part.content_type
    data = await body(request)
    try:
        content = base64.b64decode(str(data.get("content_base64", "")), validate=True)
    except binascii.Error:
        raise EmulatorError("content_base64 is not valid base64") from None
    return data, str(data.get("filename") or "file.bin"), content, data.get("mime_type")


@guarded
async def upload_document(request: web.Request) -> web.Response:
    """POST /_emu/users/{user_id}/documents (multipart 'file' or JSON content_base64)."""
    fields, filename, content, mime = await _document_fields(request)
    message = runtime(request).emulator.upload_document(
        int(request.match_info["user_id"]),
        filename,
        content,
        mime,
        caption=fields.get("caption") or None,
        chat_id=opt_int(fields, "chat_id"),
        bot_id=opt_int(fields, "bot_id"),
    )
    return ok(message.to_view(), 201)


@guarded
async def set_blocked(request: web.Request) -> web.Response:
    """POST /_emu/users/{user_id}/block and /unblock {bot_id?}."""
    data = await body(request)
    emu = runtime(request).emulator
    user = emu.user(int(request.match_info["user_id"]))
    emu.block(user.id, bot_id=opt_int(data, "bot_id"), blocked=request.path.endswith("/block"))
    return ok(user_view(emu, user))


@guarded
async def list_chats(request: web.Request) -> web.Response:
    """GET /_emu/chats."""
    return ok([chat.to_view() for chat in runtime(request).emulator.chats.values()])


@guarded
async def get_chat(request: web.Request) -> web.Response:
    """GET /_emu/chats/{chat_id}?bot_id=."""
    emu = runtime(request).emulator
    bot_id = opt_int(request.query, "bot_id")
    chat = emu.chat(int(request.match_info["chat_id"]), bot_id=bot_id)
    return ok({**chat.to_view(), "blocked": emu.is_blocked(chat.id, bot_id=bot_id)})


@guarded
async def chat_messages(request: web.Request) -> web.Response:
    """GET /_emu/chats/{chat_id}/messages?after=&since=&wait=&bot_id= (long-poll with wait)."""
    rt = runtime(request)
    query = request.query
    chat_id = int(request.match_info["chat_id"])
    after, since = opt_int(query, "after") or 0, opt_int(query, "since") or 0
    bot_id = opt_int(query, "bot_id")
    rt.emulator.chat(chat_id, bot_id=bot_id)

    def found() -> list[Any]:
        return rt.emulator.messages(chat_id, bot_id=bot_id, after=after, since=since)

    messages = await rt.feed.wait_for(found, wait_seconds(query))
    views = [m.to_view() for m in messages]
    return ok({"revision": rt.emulator.revision, "messages": views})


@guarded
async def get_callback(request: web.Request) -> web.Response:
    """GET /_emu/callbacks/{callback_query_id}?wait= (wait for the bot's answer)."""
    rt = runtime(request)
    record = rt.emulator.callback(request.match_info["callback_query_id"])
    await rt.feed.wait_for(lambda: record.answered, wait_seconds(request.query))
    return ok(record.to_view())


@guarded
async def get_file(request: web.Request) -> web.Response:
    """GET /_emu/files/{file_id}: download any stored file (dev page links)."""
    stored = runtime(request).emulator.files.get(request.match_info["file_id"])
    if stored is None:
        return fail("unknown file", 404)
    disposition = f'attachment; filename="{(stored.file_name or "file").replace(chr(34), "")}"'
    return web.Response(
        body=stored.content,
        content_type=stored.mime_type,
        headers={"Content-Disposition": disposition},
    )


def add_routes(app: web.Application) -> None:
    """Register the acting/reading part of /_emu/."""
    r = app.router
    r.add_get("/_emu/users", list_users)
    r.add_post("/_emu/users", create_user)
    r.add_post("/_emu/groups", create_group)
    r.add_post("/_emu/users/{user_id}/messages", send_text)
    r.add_post("/_emu/users/{user_id}/press", press)
    r.add_post("/_emu/users/{user_id}/documents", upload_document)
    r.add_post("/_emu/users/{user_id}/block", set_blocked)
    r.add_post("/_emu/users/{user_id}/unblock", set_blocked)
    r.add_get("/_emu/chats", list_chats)
    r.add_get("/_emu/chats/{chat_id}", get_chat)
    r.add_get("/_emu/chats/{chat_id}/messages", chat_messages)
    r.add_get("/_emu/callbacks/{callback_query_id}", get_callback)
    r.add_get("/_emu/files/{file_id}", get_file)
