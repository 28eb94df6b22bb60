"""The fan-out in the tables: who gets a broadcast, once each, across chunks and crashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import col, select

from services.broadcasts import fanout
from services.broadcasts.acks import acknowledge, remind_due, schedule_reminders
from services.broadcasts.fanout import audience_size, queue_chunk, start_broadcast
from services.broadcasts.models import QUEUED, QUEUING, Broadcast, BroadcastRecipient
from services.broadcasts.render import BadBroadcast
from services.broadcasts.stats import counts
from shared.audit import entries
from shared.chat.buttons import button_key
from shared.chat.models import BLOCKED, ButtonToken, ChatMessage, ChatStatus
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.runtime import Runtime
from shared.scheduling import ElectedScheduler
from shared.settings import Settings
from tests.broadcasts.support import broadcast_row, chat_user, dealer_row, keys, network, pump

PRICE = {
    "sku": "PX-1", "name": "Kettle", "floor": 19900, "currency": "CNY",
    "effective_at": "2026-07-01T00:00:00+08:00",
}  # fmt: skip
PROMO = {
    "promotion_id": "p1", "name": "Summer", "discount": "10%", "starts_at": "2026-07-01T00:00:00Z",
    "ends_at": "2026-07-08T00:00:00Z", "skus": ["PX-1"], "categories": ["kettles"],
}  # fmt: skip


class Boom(Exception):
    """The process dies here."""


async def _start(db: Database, clock: FakeClock, **overrides: object) -> str:
    args: dict[str, object] = {
        "kind": "notice", "params": {"text": "Hello"}, "region": None, "created_by": "api",
        "requires_ack": False, **overrides,
    }  # fmt: skip
    async with unit_of_work(db, clock) as uow:
        return await start_broadcast(uow, **args)


async def test_the_audience_is_owners_and_staff_of_the_regions_stores(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with db.write() as session:
        session.add_all([
            dealer_row("a", "Sichuan", now), dealer_row("b", "Sichuan", now),
            dealer_row("c", "Yunnan", now), dealer_row("w", "Sichuan", now, warehouse=True),
            dealer_row("hq", "Sichuan", now),
        ])  # fmt: skip
        await session.flush()
        session.add_all([
            chat_user(1, "a", "owner", now), chat_user(2, "a", "staff", now, language="zh"),
            chat_user(3, "b", "owner", now), chat_user(4, "c", "owner", now),
            chat_user(5, "w", "owner", now),  # a warehouse is not a dealer here
            chat_user(6, "hq", "hq", now),  # HQ does not broadcast to itself
            chat_user(7, "b", "staff", now, active=False),  # unbound
            chat_user(8, "b", "staff", now),  # blocked the bot (below)
            chat_user(9, "b", "staff", now, chat_id=3),  # shares the owner's (group) chat
        ])  # fmt: skip
        session.add(ChatStatus(chat_id=8, state=BLOCKED, updated_at=now))
    async with db.read() as session:
        assert await audience_size(session, "Sichuan") == 3  # chats 1, 2, 3
        assert await audience_size(session, " sichuan ") == 3  # case and spaces do not matter
        assert await audience_size(session, None) == 4
        assert await audience_size(session, "Tibet") == 0
    broadcast_id = await _start(db, clock, region="sichuan")
    assert await keys(db, f"bc:{broadcast_id}:") == {1: 1, 2: 1, 3: 1}
    stored = await broadcast_row(db, broadcast_id)
    assert (stored.state, stored.audience, stored.queued, stored.region) == (
        QUEUED, 3, 3, "sichuan"
    )  # fmt: skip


async def test_chunks_resume_after_a_crash_and_nobody_gets_it_twice(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "CHUNK", 7)
    chats = list(range(1000, 1030))
    await network(db, clock, chats)
    broadcast_id = await _start(db, clock, kind="price", params=PRICE, requires_ack=True)
    assert sum((await keys(db, "bc:")).values()) == 7  # the caller's transaction: one chunk
    stored = await broadcast_row(db, broadcast_id)
    assert (stored.state, stored.audience, stored.cursor) == (QUEUING, 30, 1006)

    # The process dies in the middle of the next chunk: its transaction rolls back whole.
    with pytest.raises(Boom):
        async with unit_of_work(db, clock) as uow:
            row = await uow.session.get(Broadcast, broadcast_id)
            assert row is not None
            await queue_chunk(uow, row)
            raise Boom
    assert sum((await keys(db, "bc:")).values()) == 7
    assert (await broadcast_row(db, broadcast_id)).cursor == 1006

    assert await pump(db, clock) == 4  # 7 + 7 + 7 + 7 + 2
    assert await keys(db, f"bc:{broadcast_id}:") == dict.fromkeys(chats, 1)
    stored = await broadcast_row(db, broadcast_id)
    assert (stored.state, stored.audience, stored.queued) == (QUEUED, 30, 30)
    # A chunk run again (a redelivered continuation, a second replica) adds nothing.
    async with unit_of_work(db, clock) as uow:
        row = await uow.session.get(Broadcast, broadcast_id)
        assert row is not None
        row.cursor = None
        assert await queue_chunk(uow, row) == 0
    assert sum((await keys(db, "bc:")).values()) == 30
    async with db.read() as session:
        recipients = (await session.exec(select(BroadcastRecipient))).all()
        tokens = (await session.exec(select(ButtonToken))).all()
    assert sorted(r.chat_id for r in recipients) == chats
    assert {t.action for t in tokens} == {"bc_ack"}


async def test_a_caller_that_rolls_back_sends_nothing(db: Database, clock: FakeClock) -> None:
    await network(db, clock, [1, 2, 3])
    with pytest.raises(Boom):
        async with unit_of_work(db, clock) as uow:
            await start_broadcast(
                uow, kind="notice", params={"text": "x"}, region=None, created_by="api",
                requires_ack=False,
            )  # fmt: skip
            raise Boom
    assert await keys(db, "bc:") == {}
    async with db.read() as session:
        assert (await session.exec(select(Broadcast))).all() == []
        assert await entries(session) == []


async def test_each_dealer_reads_it_in_their_language(db: Database, clock: FakeClock) -> None:
    await network(db, clock, [1, 2], languages=("en", "zh"))
    price = await _start(db, clock, kind="price", params=PRICE, requires_ack=True)
    promo = await _start(db, clock, kind="promotion", params=PROMO)
    async with db.read() as session:
        rows = {r.key: r for r in (await session.exec(select(ChatMessage))).all()}
    en, zh = rows[f"bc:{price}:1"].payload, rows[f"bc:{price}:2"].payload
    assert "Kettle (PX-1) may not be sold below 199.00 CNY from 2026-07-01 00:00" in en["text"]
    assert "Kettle（PX-1）自 2026-07-01 00:00（北京时间）起" in zh["text"]
    assert "199.00 CNY" in zh["text"]
    assert en["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ Acknowledge"
    assert zh["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ 已阅"
    en_promo, zh_promo = rows[f"bc:{promo}:1"].payload, rows[f"bc:{promo}:2"].payload
    assert "Summer, 10% off, from 2026-07-01 08:00 to 2026-07-08 08:00" in en_promo["text"]
    assert "PX-1, kettles" in en_promo["text"]
    assert "总部促销：Summer，优惠 10%" in zh_promo["text"]
    assert "reply_markup" not in en_promo  # no acknowledgement asked


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("notice", {"text": "  "}, "text"),
        ("notice", {"text": "x" * 3501}, "text"),
        ("price", {**PRICE, "floor": "199.00"}, "floor"),
        ("price", {**PRICE, "floor": -1}, "floor"),
        ("price", {**PRICE, "currency": "XXX"}, "currency"),
        ("price", {**PRICE, "effective_at": "next week"}, "effective_at"),
        ("promotion", {**PROMO, "ends_at": "2026-06-01T00:00:00Z"}, "ends_at"),
        ("promotion", {**PROMO, "skus": "PX-1"}, "skus"),
        ("coupon", {}, "kind"),
    ],
)
async def test_bad_parameters_are_refused_naming_the_field(
    db: Database, clock: FakeClock, kind: str, params: dict[str, object], field: str
) -> None:
    await network(db, clock, [1])
    with pytest.raises(BadBroadcast) as caught:
        await _start(db, clock, kind=kind, params=params)
    assert caught.value.field == field
    assert await keys(db, "bc:") == {}


async def test_each_broadcast_is_audited_with_its_actor(db: Database, clock: FakeClock) -> None:
    await network(db, clock, [1, 2])
    broadcast_id = await _start(db, clock, region="Sichuan", created_by="tg:42")
    async with db.read() as session:
        [entry] = await entries(session, action="broadcast.send")
    assert (entry.actor, entry.target, entry.allowed) == ("tg:42", broadcast_id, True)
    assert entry.detail["audience"] == 2
    assert entry.detail["region"] == "Sichuan"


async def test_counts_come_from_the_chat_outbox(db: Database, clock: FakeClock) -> None:
    await network(db, clock, [1, 2, 3, 4, 5])
    broadcast_id = await _start(db, clock, requires_ack=True)
    async with db.write() as session:
        for chat, state in ((1, "sent"), (2, "sent"), (3, "failed"), (4, "blocked")):
            await session.exec(
                update(ChatMessage)
                .where(col(ChatMessage.key) == f"bc:{broadcast_id}:{chat}")
                .values(state=state)
            )
        await session.exec(
            update(BroadcastRecipient)
            .where(col(BroadcastRecipient.chat_id) == 1)
            .values(acked_at=clock.now())
        )
    async with db.read() as session:
        stored = await session.get(Broadcast, broadcast_id)
        assert stored is not None
        numbers = await counts(session, stored)
    assert numbers == {
        "audience": 5, "queued": 1, "sent": 4, "delivered": 2, "failed": 1, "blocked": 1,
        "acknowledged": 1, "acknowledged_dealers": 1,
    }  # fmt: skip


async def _token(
    db: Database, broadcast_id: str, chat_id: int, *, reminder: bool = False
) -> ButtonToken:
    """The Acknowledge button's token in the message (or reminder) a chat got."""
    async with db.read() as session:
        key = f"{'bcr' if reminder else 'bc'}:{broadcast_id}:{chat_id}"
        message = await session.get(ChatMessage, key)
        assert message is not None
        data = message.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        token = await session.get(ButtonToken, button_key(data))
    assert token is not None
    return token


async def test_one_reminder_after_the_delay_and_never_to_those_who_acknowledged(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "CHUNK", 2)  # reminders are queued in chunks too
    delay = timedelta(hours=24)
    chats = [1, 2, 3, 4, 5]
    dealers = await network(db, clock, chats)
    async with db.write() as session:  # dealer d0's staff: d0 acknowledges through its owner
        session.add(chat_user(6, dealers[0], "staff", clock.now()))
    bid = await _start(db, clock, kind="price", params=PRICE, requires_ack=True)
    await pump(db, clock)
    async with db.write() as session:  # chat 5 blocked the bot: a reminder would not arrive
        await session.exec(
            update(ChatMessage).where(col(ChatMessage.key) == f"bc:{bid}:5").values(state=BLOCKED)
        )
    async with unit_of_work(db, clock) as uow:
        assert await acknowledge(uow, await _token(db, bid, 1), 1, 1) == "ack.thanks"
    async with unit_of_work(db, clock) as uow:
        assert await acknowledge(uow, await _token(db, bid, 1), 1, 1) == "ack.already"

    clock.advance(hours=23, minutes=59)
    assert await remind_due(db, clock, delay) == 0
    assert await keys(db, "bcr:") == {}
    clock.advance(minutes=1)
    assert await remind_due(db, clock, delay) == 1
    # Not d0 (its owner acknowledged, for the store, staff too), not the blocked chat.
    assert await keys(db, f"bcr:{bid}:") == {2: 1, 3: 1, 4: 1}
    # A press on the reminder counts (once), and edits the reminder.
    async with unit_of_work(db, clock) as uow:
        assert await acknowledge(uow, await _token(db, bid, 2, reminder=True), 2, 2) == "ack.thanks"
    clock.advance(days=3)
    assert await remind_due(db, clock, delay) == 0  # one reminder, ever
    assert sum((await keys(db, "bcr:")).values()) == 3
    stored = await broadcast_row(db, bid)
    assert stored.reminded_at == datetime(2026, 1, 2, tzinfo=UTC)
    async with db.read() as session:
        numbers = await counts(session, stored)
        edits = (
            await session.exec(select(ChatMessage).where(col(ChatMessage.key).startswith("bca:")))
        ).all()
    assert (numbers["acknowledged"], numbers["acknowledged_dealers"]) == (2, 2)
    assert {(e.key, e.refers_to) for e in edits} == {
        (f"bca:{bid}:1:m", f"bc:{bid}:1"), (f"bca:{bid}:2:m", f"bc:{bid}:2"),
        (f"bca:{bid}:2:r", f"bcr:{bid}:2"),
    }  # fmt: skip
    assert all("✅ Acknowledged" in e.payload["text"] or "确认已阅" in e.payload["text"]
               for e in edits)  # fmt: skip
    assert all("reply_markup" not in e.payload for e in edits)  # the button is gone


async def test_no_reminder_without_acknowledgement_asked(db: Database, clock: FakeClock) -> None:
    await network(db, clock, [1, 2])
    await _start(db, clock)
    clock.advance(days=2)
    assert await remind_due(db, clock, timedelta(hours=24)) == 0
    assert await keys(db, "bcr:") == {}


async def test_the_bot_runs_the_reminder_job_with_the_configured_delay(runtime: Runtime) -> None:
    scheduler = ElectedScheduler(runtime.redis, name="test-bot-scheduler")
    schedule_reminders(scheduler, runtime.with_settings(ack_reminder_hours=2.5))
    [job] = scheduler.scheduler.get_jobs()
    assert job.func is remind_due and job.args[2] == timedelta(hours=2.5)
    assert Settings(ack_reminder_hours=24).ack_reminder_hours == 24 == Settings().ack_reminder_hours
    with pytest.raises(ValidationError):
        Settings(ack_reminder_hours=0)
