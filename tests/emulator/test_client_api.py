"""The /_emu/ client API through EmulatorClient, and long polling on both sides."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest

from bots.emulator import EmulatorClient, EmulatorRequestError, EmulatorServer
from tests.emulator.support import raw_call

BUTTONS = {
    "inline_keyboard": [
        [{"text": "Yes", "callback_data": "y"}, {"text": "Docs", "url": "https://example.com"}]
    ]
}


async def test_users_and_groups(client: EmulatorClient) -> None:
    ann = await client.create_user("Ann", username="ann", language_code="zh", user_id=555)
    assert ann == {
        "id": 555,
        "is_bot": False,
        "first_name": "Ann",
        "username": "ann",
        "language_code": "zh",
        "chat_id": 555,
        "blocked": False,
    }
    with pytest.raises(EmulatorRequestError) as caught:
        await client.create_user("Dup", user_id=555)
    assert caught.value.status == 409
    bob = await client.create_user("Bob")
    assert [u["first_name"] for u in await client.users()] == ["Ann", "Bob"]
    group = await client.create_group("Shop 3", [ann["id"], bob["id"]])
    assert group["id"] < 0 and group["type"] == "group"
    sent = await client.send_text(bob["id"], "hello all", chat_id=group["id"])
    assert sent["chat_id"] == group["id"] and sent["sender_id"] == bob["id"]
    assert [m["text"] for m in await client.messages(group["id"])] == ["hello all"]


async def test_press_checks_buttons_unless_forged(
    server: EmulatorServer, client: EmulatorClient
) -> None:
    user = await client.create_user("Ann")
    _, body = await raw_call(
        server, "sendMessage", chat_id=user["id"], text="Q", reply_markup=BUTTONS
    )
    message_id = body["result"]["message_id"]
    for kwargs in ({"data": "n"}, {"text": "No"}, {"text": "Docs"}):
        with pytest.raises(EmulatorRequestError) as caught:
            await client.press(user["id"], message_id, **kwargs)
        assert caught.value.status == 400
    with pytest.raises(EmulatorRequestError, match="not found"):
        await client.press(user["id"], 99, "y")
    unanswered = await client.press(user["id"], message_id, "y", timeout=0.1)
    assert not unanswered.answered and unanswered.data == "y"
    forged = await client.press(user["id"], message_id, "admin:drop", forge=True, timeout=0.1)
    assert forged.forged and forged.data == "admin:drop"
    queries = [u["callback_query"] for u in server.emulator.bot().pending]
    assert [q["data"] for q in queries] == ["y", "admin:drop"]
    assert queries[0]["message"]["message_id"] == message_id
    waiter = asyncio.create_task(client.wait_for_answer(unanswered.callback_query_id, timeout=5))
    status, _ = await raw_call(
        server, "answerCallbackQuery", callback_query_id=unanswered.callback_query_id, text="Done"
    )
    assert status == 200
    assert (await waiter).text == "Done"
    status, body = await raw_call(
        server, "answerCallbackQuery", callback_query_id=unanswered.callback_query_id
    )
    assert status == 400 and "query is too old" in body["description"]


async def test_in_process_press_waits_for_answer(server: EmulatorServer) -> None:
    emu = server.emulator
    user = emu.create_user("Ann")
    _, body = await raw_call(server, "sendMessage", chat_id=user.id, text="Q", reply_markup=BUTTONS)

    async def answer_when_pressed() -> None:
        query = await server.wait_until(lambda: emu.bot().pending)
        query_id = query[0]["callback_query"]["id"]
        await raw_call(
            server, "answerCallbackQuery", callback_query_id=query_id, text="Hi", show_alert=True
        )

    task = asyncio.create_task(answer_when_pressed())
    record = await server.press(user.id, body["result"]["message_id"], text="Yes")
    await task
    assert record.answered and record.text == "Hi" and record.show_alert


async def test_documents_json_upload_and_download(
    server: EmulatorServer, client: EmulatorClient
) -> None:
    user = await client.create_user("Ann")
    payload = {
        "filename": "note.txt",
        "content_base64": base64.b64encode(b"hello").decode(),
        "mime_type": "text/plain",
        "caption": "see",
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{server.url}/_emu/users/{user['id']}/documents", json=payload
        ) as r:
            message = (await r.json())["result"]
        async with session.get(server.url + message["document"]["url"]) as r:
            assert await r.read() == b"hello"
            assert r.headers["Content-Disposition"] == 'attachment; filename="note.txt"'
    assert message["document"]["mime_type"] == "text/plain" and message["caption"] == "see"
    file_id = message["document"]["file_id"]
    status, body = await raw_call(server, "getFile", file_id=file_id)
    assert status == 200 and body["result"]["file_path"].startswith("documents/")
    url = f"{server.file_base}{server.token}/{body['result']['file_path']}"
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        assert r.status == 200 and await r.read() == b"hello"
    assert (await raw_call(server, "getFile", file_id="nope"))[1]["description"] == (
        "Bad Request: invalid file_id"
    )


async def test_wait_for_message_sees_edits_and_times_out(
    server: EmulatorServer, client: EmulatorClient
) -> None:
    user = await client.create_user("Ann")
    await raw_call(server, "sendMessage", chat_id=user["id"], text="Order pending")
    waiter = asyncio.create_task(
        client.wait_for_message(user["id"], lambda m: m["text"] == "Order done", timeout=5)
    )
    await raw_call(server, "editMessageText", chat_id=user["id"], message_id=1, text="Order done")
    edited = await waiter
    assert edited["edit_count"] == 1 and edited["message_id"] == 1
    with pytest.raises(TimeoutError):
        await client.wait_for_message(user["id"], contains="never", timeout=0.2)
    mine = await client.wait_for_message(user["id"], from_bot=None, after=0, contains="Order")
    assert mine["message_id"] == 1


async def test_long_polls_wake_on_change(server: EmulatorServer, client: EmulatorClient) -> None:
    user = await client.create_user("Ann")
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(raw_call(server, "getUpdates", timeout=10))
    await server.wait_until(lambda: server.emulator.bot().poll_generation == 1)
    await client.send_text(user["id"], "wake up")
    status, body = await poll
    assert status == 200 and body["result"][0]["message"]["text"] == "wake up"
    assert loop.time() - started < 5
    offset = body["result"][0]["update_id"] + 1
    first = asyncio.create_task(raw_call(server, "getUpdates", offset=offset, timeout=10))
    await server.wait_until(lambda: server.emulator.bot().poll_generation == 2)
    second = asyncio.create_task(raw_call(server, "getUpdates", offset=offset, timeout=0))
    assert (await first)[0] == 409 and (await second)[1]["result"] == []
    assert server.emulator.bot().pending == []  # confirmed by offset
    info = await client.info()
    async with aiohttp.ClientSession() as session:
        url = f"{server.url}/_emu/changes"
        waiter = asyncio.create_task(
            session.get(url, params={"since": info["revision"], "wait": 10})
        )
        await client.create_user("Bob")
        async with await waiter as r:
            assert (await r.json())["result"]["revision"] > info["revision"]


async def test_reset_and_limits(server: EmulatorServer, client: EmulatorClient) -> None:
    user = await client.create_user("Ann")
    await client.send_text(user["id"], "hi")
    before = server.emulator.bot().next_update_id
    await client.reset()
    assert await client.users() == [] and server.emulator.bot().pending == []
    assert server.emulator.bot().next_update_id == before  # update ids never go back
    assert (await client.stats())["updates"] == 0
    limits = await client.set_limits(private_burst="5", enabled="false")
    assert limits["enabled"] is False and limits["private_burst"] == 5
    with pytest.raises(EmulatorRequestError):
        await client.set_limits(nonsense=1)
    user = await client.create_user("Ann")
    for i in range(10):
        assert (await raw_call(server, "sendMessage", chat_id=user["id"], text=str(i)))[0] == 200
