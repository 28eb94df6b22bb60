"""submit: in the caller's transaction, once per key, checked before it is stored."""

from __future__ import annotations

import asyncio
import base64

import pytest

from shared.chat.outbox import Lane, Outgoing, queue_depth, submit, submit_many
from shared.chat.payloads import MAX_DOCUMENT_BYTES
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from tests.sender.support import row, states, text_message


async def test_a_key_is_stored_once_and_the_first_payload_wins(
    db: Database, clock: FakeClock
) -> None:
    async with unit_of_work(db, clock) as uow:
        assert await submit(uow, "offer:1", 7, Lane.OFFER, "sendMessage", {"text": "first"})
    async with unit_of_work(db, clock) as uow:
        assert not await submit(uow, "offer:1", 7, Lane.OFFER, "sendMessage", {"text": "again"})
        assert await submit_many(uow, [text_message("offer:1", 7), text_message("b", 7)]) == 1
    stored = await row(db, "offer:1")
    assert (stored.payload, stored.state, stored.lane) == ({"text": "first"}, "queued", 0)
    assert stored.created_at == clock.now()


async def test_it_commits_or_rolls_back_with_the_callers_transaction(
    db: Database, clock: FakeClock
) -> None:
    wake = asyncio.Event()
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, clock) as uow:
            await submit(uow, "k", 7, Lane.PROMPT, "sendMessage", {"text": "x"}, wake=wake)
            raise RuntimeError("the handler failed")
    assert await states(db) == {}
    assert not wake.is_set()  # nothing to send, nothing to wake for

    async with unit_of_work(db, clock) as uow:
        await submit(uow, "k", 7, Lane.PROMPT, "sendMessage", {"text": "x"}, wake=wake)
        assert not wake.is_set()  # not before the commit: the sender could not see it yet
    assert wake.is_set()
    assert await queue_depth(db) == {0: 0, 1: 1, 2: 0, 3: 0}


async def test_seq_follows_submission_order(db: Database, clock: FakeClock) -> None:
    async with unit_of_work(db, clock) as uow:
        await submit_many(uow, [text_message("z", 1), text_message("a", 1)])
    async with unit_of_work(db, clock) as uow:
        await submit(uow, "m", 1, 3, "sendMessage", {"text": "m"})
    assert [(await row(db, k)).seq for k in ("z", "a", "m")] == [1, 2, 3]


DOC = {"filename": "statement.csv", "content": base64.b64encode(b"a,b\n1,2\n").decode()}


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (Outgoing("k", 1, 0, "answerCallbackQuery", {}), "at once"),
        (Outgoing("k", 1, 0, "sendPhoto", {"photo": "x"}), "not one of"),
        (Outgoing("k", 1, 7, "sendMessage", {"text": "x"}), "lane"),
        (Outgoing("", 1, 0, "sendMessage", {"text": "x"}), "key"),
        (Outgoing("k", 1, 0, "sendMessage", {}), "missing"),
        (Outgoing("k", 1, 0, "sendMessage", {"text": "x", "colour": 1}), "unknown"),
        (Outgoing("k", 1, 0, "editMessageText", {"text": "x"}), "exactly one"),
        (Outgoing("k", 1, 0, "sendMessage", {"text": "x"}, refers_to="o"), "only edits"),
        (Outgoing("k", 1, 0, "editMessageText", {"text": "x"}, refers_to="nope"), "not queued"),
        (Outgoing("k", 2, 0, "editMessageText", {"text": "x"}, refers_to="orig"), "another chat"),
        (Outgoing("k", 1, 0, "sendDocument", {"document": {"filename": "a"}}), "file_id"),
        (Outgoing("k", 1, 0, "sendDocument", {"document": {**DOC, "content": "%%"}}), "base64"),
        (
            Outgoing(
                "k",
                1,
                0,
                "sendDocument",
                {"document": {**DOC, "content": base64.b64encode(bytes(MAX_DOCUMENT_BYTES + 1))}},
            ),
            "bytes",
        ),
        (Outgoing("k", 1, 0, "sendMessage", {"text": {1, 2}}), "serializable"),
    ],
)
async def test_what_could_never_be_sent_is_refused(
    db: Database, clock: FakeClock, message: Outgoing, error: str
) -> None:
    async with unit_of_work(db, clock) as uow:
        await submit(uow, "orig", 1, 0, "sendMessage", {"text": "original"})
    with pytest.raises((ValueError, TypeError), match=error):
        async with unit_of_work(db, clock) as uow:
            await submit_many(uow, [message])
    assert await states(db) == {"queued": 1}


async def test_an_edit_may_refer_to_a_message_of_the_same_batch(
    db: Database, clock: FakeClock
) -> None:
    edit = Outgoing("e", 1, 0, "editMessageText", {"text": "x"}, refers_to="o")
    async with unit_of_work(db, clock) as uow:
        assert (
            await submit_many(
                uow,
                [
                    text_message("o", 1),
                    edit,
                    Outgoing("d", 1, 3, "sendDocument", {"document": DOC}),
                ],
            )
            == 3
        )
