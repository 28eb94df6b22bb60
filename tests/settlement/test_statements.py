"""Weekly statements: a close, a payout file, a message and a CSV to every owner, once."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from services.settlement.service import (
    STATEMENT_JOB,
    scheduler_for,
    serve_settlement,
    statement_trigger,
)
from services.settlement.statements import weekly
from shared.chat.models import ChatMessage, ChatUser
from shared.chat.payloads import Lane
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from shared.messages.settlement import ReleaseEarnings
from shared.runtime import Runtime
from tests.broadcasts.support import dealer_row
from tests.settlement.support import Books, snapshot, stages, transaction_keys

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday of W02
STATEMENT_TIME = datetime(2026, 1, 19, 1, 0, tzinfo=UTC)  # Monday of W04, 09:00 in Shanghai


async def people(db: Database, clock: FakeClock) -> None:
    rows = [
        (11, "B", "owner", "zh", True),
        (12, "B", "staff", "en", True),  # staff get no statement
        (13, "A", "owner", "en", True),
        (14, "C", "owner", None, True),  # no money yet: a statement all the same
        (15, "D", "owner", "en", False),  # unbound
    ]
    async with unit_of_work(db, clock) as uow:
        store = dealer_row("B", "sichuan", clock.now())
        store.name = "春熙路店"
        uow.session.add(store)  # the statement names the store; A and C are not in the catalog
        for user_id, dealer_id, role, language, active in rows:
            uow.session.add(
                ChatUser(user_id=user_id, chat_id=user_id, dealer_id=dealer_id, role=role,
                         language=language, active=active, bound_at=clock.now())
            )  # fmt: skip


async def queued(db: Database) -> list[ChatMessage]:
    async with db.read() as session:
        return list((await session.exec(select(ChatMessage).order_by(col(ChatMessage.key)))).all())


async def test_the_weekly_job_closes_the_week_and_tells_every_owner_once(
    db: Database, tmp_path: Path
) -> None:
    clock = FakeClock(T0)
    books = Books(db, clock)
    await people(db, clock)
    await books.apply(*stages(snapshot("o1", at=T0), T0), ReleaseEarnings(order_id="o1"))
    clock.advance(days=14, hours=-1)  # 2026-01-19 01:00 UTC
    assert clock.now() == STATEMENT_TIME

    assert await weekly(db, clock, TZ, tmp_path) == 6  # three owners, a text and a file each
    payouts = (tmp_path / "payouts" / "payouts-2026-W03.csv").read_text()
    assert "2026-W03,B,CNY,1849.30,0.00,1849.30,1849.30,0.00" in payouts
    messages = {m.key: m for m in await queued(db)}
    assert set(messages) == {
        f"statement:2026-W03:{user}:{part}" for user in (11, 13, 14) for part in ("text", "csv")
    }
    assert all(m.lane == Lane.BULK for m in messages.values())
    b_text = messages["statement:2026-W03:11:text"].payload["text"]
    assert "春熙路店的对账单 2026-W03（2026-01-12 至 2026-01-18）" in b_text
    assert "本期支付给您：¥1,849.30" in b_text
    a_text = messages["statement:2026-W03:13:text"].payload["text"]
    assert "Paid to you for this period: ¥49.90" in a_text
    c_text = messages["statement:2026-W03:14:text"].payload["text"]
    assert "Nothing to pay out this period." in c_text
    document = messages["statement:2026-W03:11:csv"]
    assert document.method == "sendDocument"
    csv_text = base64.b64decode(document.payload["document"]["content"]).decode()
    assert csv_text.splitlines() == [
        "time,event,order,sku,kind,state,amount,currency",
        "2026-01-12 10:00,release,o1,,fulfilment,pending,-1849.30,CNY",
        "2026-01-12 10:00,release,o1,,fulfilment,available,1849.30,CNY",
    ]  # the week's entries; the payout, made on Monday, is in the text

    keys = await transaction_keys(db)
    assert await weekly(db, clock, TZ, tmp_path) == 0  # a second leader, late: nothing new
    assert await transaction_keys(db) == keys


async def test_the_job_runs_on_the_configured_cron_in_the_configured_zone(
    runtime: Runtime,
) -> None:
    trigger = statement_trigger(runtime.settings)
    assert str(trigger.timezone) == "Asia/Shanghai"
    monday = trigger.get_next_fire_time(None, datetime(2026, 1, 14, tzinfo=TZ))
    assert monday == datetime(2026, 1, 19, 9, 0, tzinfo=TZ)
    berlin = runtime.settings.model_copy(
        update={"settlement_tz": "Europe/Berlin", "statement_cron": "30 18 * * fri"}
    )
    friday = statement_trigger(berlin).get_next_fire_time(None, datetime(2026, 1, 14, tzinfo=UTC))
    assert friday == datetime(2026, 1, 16, 17, 30, tzinfo=UTC)
    scheduler = scheduler_for(runtime)
    assert [job.id for job in scheduler.scheduler.get_jobs()] == [STATEMENT_JOB]
    async with serve_settlement(runtime) as where:
        assert "return window 7 days" in where and "Asia/Shanghai" in where
