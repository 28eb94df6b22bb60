"""EmulatorClient: act as users and read chats over the /_emu/ HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from bots.emulator.client_types import CallbackAnswer, EmulatorRequestError, Message, matches


class EmulatorClient:
    """Async client of a running emulator (tests, tools). Use `async with` or call close()."""

    def __init__(self, base_url: str, *, bot_id: int | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_id = bot_id
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: Any = None,
        wait: float = 0.0,
    ) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        if self.bot_id is not None:
            query.setdefault("bot_id", str(self.bot_id))
        timeout = aiohttp.ClientTimeout(total=wait + 30.0)
        async with self._session.request(
            method, self.base_url + path, json=json, params=query, data=data, timeout=timeout
        ) as response:
            payload = await response.json(content_type=None)
        if not payload.get("ok"):
            raise EmulatorRequestError(response.status, str(payload.get("error")))
        return payload["result"]

    def _with_bot(self, body: dict[str, Any]) -> dict[str, Any]:
        clean = {k: v for k, v in body.items() if v is not None}
        if self.bot_id is not None:
            clean.setdefault("bot_id", self.bot_id)
        return clean

    async def info(self) -> dict[str, Any]:
        """Bots, limits and revision."""
        return dict(await self._request("GET", "/_emu/info"))

    async def create_user(
        self,
        first_name: str = "Dealer",
        *,
        username: str | None = None,
        language_code: str = "en",
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Create a user; returns the user (its private chat_id == id)."""
        body = {
            "first_name": first_name,
            "username": username,
            "language_code": language_code,
            "last_name": last_name,
            "id": user_id,
        }
        return dict(await self._request("POST", "/_emu/users", json=self._with_bot(body)))

    async def users(self) -> list[dict[str, Any]]:
        """All users."""
        return list(await self._request("GET", "/_emu/users"))

    async def create_group(
        self, title: str, member_ids: list[int], *, supergroup: bool = False
    ) -> dict[str, Any]:
        """Create a group chat with these members; returns the chat (negative id)."""
        body = {"title": title, "member_ids": member_ids, "supergroup": supergroup}
        return dict(await self._request("POST", "/_emu/groups", json=self._with_bot(body)))

    async def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: int | None = None
    ) -> Message:
        """The user sends a text message (or /command)."""
        body = {"text": text, "chat_id": chat_id, "reply_to": reply_to}
        path = f"/_emu/users/{user_id}/messages"
        return dict(await self._request("POST", path, json=self._with_bot(body)))

    async def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        *,
        forge: bool = False,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Press an inline button and wait up to `timeout` for the bot's answer."""
        body = {
            "message_id": message_id,
            "data": data,
            "text": text,
            "forge": forge,
            "chat_id": chat_id,
            "wait": timeout,
        }
        path = f"/_emu/users/{user_id}/press"
        view = await self._request("POST", path, json=self._with_bot(body), wait=timeout)
        return CallbackAnswer.from_view(view)

    async def wait_for_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Wait for the bot to answer a callback query."""
        path = f"/_emu/callbacks/{callback_query_id}"
        view = await self._request("GET", path, params={"wait": timeout}, wait=timeout)
        return CallbackAnswer.from_view(view)

    async def upload_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime: str = "application/octet-stream",
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> Message:
        """The user sends a file as a document (multipart upload)."""
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", content, filename=filename, content_type=mime)
        for key, value in self._with_bot({"caption": caption, "chat_id": chat_id}).items():
            form.add_field(key, str(value))
        path = f"/_emu/users/{user_id}/documents"
        return dict(await self._request("POST", path, data=form))

    async def block(self, user_id: int) -> None:
        """The user blocks the bot (its sends to them answer 403)."""
        await self._request("POST", f"/_emu/users/{user_id}/block", json=self._with_bot({}))

    async def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        await self._request("POST", f"/_emu/users/{user_id}/unblock", json=self._with_bot({}))

    async def chat(self, chat_id: int) -> dict[str, Any]:
        """A chat's info (type, members, current reply keyboard, blocked)."""
        return dict(await self._request("GET", f"/_emu/chats/{chat_id}"))

    async def messages(self, chat_id: int, *, after: int = 0) -> list[Message]:
        """All messages of a chat both ways (edits applied, deleted ones flagged)."""
        result = await self._request(
            "GET", f"/_emu/chats/{chat_id}/messages", params={"after": after}
        )
        return list(result["messages"])

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[Message], bool] | None = None,
        *,
        contains: str | None = None,
        after: int = 0,
        from_bot: bool | None = True,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Message:
        """The first matching message; long-polls the server. TimeoutError if none in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        since = 0
        path = f"/_emu/chats/{chat_id}/messages"
        while True:
            remaining = max(0.0, deadline - loop.time())
            params = {"after": after, "since": since, "wait": round(remaining, 3)}
            result = await self._request("GET", path, params=params, wait=remaining)
            for message in result["messages"]:
                if matches(message, predicate, contains, from_bot):
                    return dict(message)
            since = result["revision"]
            if remaining <= 0:
                raise TimeoutError(f"no matching message in chat {chat_id} within {timeout}s")

    async def inject_fault(
        self,
        kind: str,
        *,
        count: int = 1,
        method: str | None = None,
        chat_id: int | None = None,
        retry_after: int = 1,
        status: int = 500,
        delay: float = 1.0,
    ) -> dict[str, Any]:
        """Schedule a fault: kind '429', '5xx', 'delay' or 'blocked' (see Fault)."""
        body = {
            "kind": kind,
            "count": count,
            "method": method,
            "chat_id": chat_id,
            "retry_after": retry_after,
            "status": status,
            "delay": delay,
        }
        return dict(await self._request("POST", "/_emu/faults", json=self._with_bot(body)))

    async def clear_faults(self, *, unblock: bool = False) -> None:
        """Drop pending faults (and unblock every chat if asked)."""
        await self._request("DELETE", "/_emu/faults", params={"unblock": int(unblock)})

    async def stats(self) -> dict[str, Any]:
        """Call counts, 429 counts (total and per chat), webhook deliveries."""
        return dict(await self._request("GET", "/_emu/stats"))

    async def commands(self, chat_id: int, language_code: str = "") -> list[dict[str, Any]]:
        """The command menu this chat's user sees (Telegram's scope and language fallback)."""
        params = {"chat_id": chat_id, "language_code": language_code}
        return list(await self._request("GET", "/_emu/commands", params=params))

    async def set_limits(self, **fields: Any) -> dict[str, Any]:
        """Change flood limit numbers, e.g. set_limits(enabled=False)."""
        return dict(await self._request("POST", "/_emu/limits", json=fields))

    async def reset(self) -> None:
        """Back to a clean state."""
        await self._request("POST", "/_emu/reset")
