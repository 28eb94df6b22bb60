"""The bot killed with SIGKILL half-way through a 1,000-dealer broadcast, then restarted.

(1,000 rather than the 2,000 of test_scale.py: the property does not depend on the number,
and on the 2-vCPU VM the sending is CPU-bound at about 100 messages/s, so 2,000 would add
ten seconds to a suite that must stay near three minutes.)

The kill lands while the broadcast is still being queued (chunk by chunk, by the bot's
consumer) and sent. After the restart every dealer has the broadcast, the outbox holds
exactly one message per dealer, and nobody got it twice — except, possibly, the few
messages whose request was on the wire at the kill (rows left ``sending``): Telegram's
``sendMessage`` has no idempotency key, so the restarted sender sends those again rather
than risk skipping a dealer; the test shows how many there were and how many doubled.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from bots.emulator import EmulatorServer, Limits
from services.broadcasts import fanout
from services.broadcasts.fanout import start_broadcast
from services.broadcasts.models import QUEUED, QUEUING, Broadcast, BroadcastRecipient
from shared.chat.models import ChatMessage
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from tests.broadcasts.support import broadcast_row, keys, network
from tests.broadcasts.worker import OPTIONS, RATE
from tests.bus.support import eventually

ROOT = Path(__file__).resolve().parents[2]
DEALERS, CHUNK, PAUSE_S = 1_000, 50, 0.25
EMULATOR = Limits(bot_per_second=RATE, bot_burst=int(RATE), private_per_second=1.0)


def _arrivals(server: EmulatorServer, chats: list[int]) -> Counter[int]:
    """How often each chat got the broadcast (a full read: only between phases)."""
    emu = server.emulator
    return Counter(
        chat
        for chat in chats
        for m in emu.messages(chat)
        if m.from_bot and "From HQ" in (m.text or "")
    )


def _sends(server: EmulatorServer) -> int:
    """Successful sendMessage calls so far: cheap enough to poll."""
    stats = server.emulator.stats
    return stats.calls["sendMessage"] - sum(stats.errors.values())


async def _worker(
    redis_url: str, database_url: str, server: EmulatorServer, pause: float
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.broadcasts.worker", redis_url, database_url,
        server.api_base, server.token, str(CHUNK), str(pause), cwd=ROOT,
    )  # fmt: skip


async def _kill(worker: asyncio.subprocess.Process) -> None:
    if worker.returncode is None:
        os.kill(worker.pid, signal.SIGKILL)
        await worker.wait()


async def _states(db: Database) -> Counter[str]:
    async with db.read() as session:
        statement = (
            select(ChatMessage.state, func.count())
            .where(col(ChatMessage.key).startswith("bc:"))
            .group_by(col(ChatMessage.state))
        )
        return Counter(dict((await session.exec(statement)).all()))


async def test_sigkill_half_way_then_restart_every_dealer_gets_it_once(
    redis_url: str, database_url: str, db: Database, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(fanout, "CHUNK", CHUNK)
    async with EmulatorServer(limits=EMULATOR) as server:
        chats = [server.emulator.create_user(f"Dealer {n}").id for n in range(DEALERS)]
        await network(db, clock, chats, languages=("en",))
        async with unit_of_work(db, clock) as uow:
            broadcast_id = await start_broadcast(
                uow, kind="notice", params={"text": "Stock count on Friday"}, region=None,
                created_by="api", requires_ack=False,
            )  # fmt: skip
        first = await _worker(redis_url, database_url, server, PAUSE_S)
        try:

            async def half_way() -> bool:  # being queued and being sent, neither finished
                queued = (await broadcast_row(db, broadcast_id)).queued
                return queued >= DEALERS // 4 and _sends(server) >= DEALERS // 20

            await eventually(half_way, timeout=60, interval=0.05)
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL
        finally:
            await _kill(first)
        at_kill = await broadcast_row(db, broadcast_id)
        states = await _states(db)
        arrived = sum(_arrivals(server, chats).values())
        left_sending = states["sending"]
        print(f"\nkilled with {arrived} delivered, {at_kill.queued} of {DEALERS} queued "
              f"({at_kill.state}), {left_sending} requests in flight")  # fmt: skip
        assert at_kill.state == QUEUING  # killed while the broadcast was still being queued
        assert arrived < at_kill.queued < DEALERS
        assert left_sending <= OPTIONS.bulk_concurrency  # bulk requests in flight at once

        second = await _worker(redis_url, database_url, server, 0.0)
        try:

            async def finished() -> bool:
                return (await _states(db)) == {"sent": DEALERS}

            await eventually(finished, timeout=120, interval=0.2)
            await eventually(lambda: len(_arrivals(server, chats)) == DEALERS, timeout=10)
        finally:
            await _kill(second)

        received = _arrivals(server, chats)
        count_429 = server.emulator.stats.count_429
    doubled = sum(1 for n in received.values() if n > 1)
    print(f"after the restart: {len(received)} dealers got it, {doubled} twice "
          f"(at most the {left_sending} in flight at the kill); 429s: {count_429}")  # fmt: skip
    assert set(received) == set(chats)  # nobody skipped
    assert doubled <= left_sending and max(received.values()) <= 2
    assert await keys(db, f"bc:{broadcast_id}:") == dict.fromkeys(chats, 1)  # queued once each
    assert count_429 == 0
    stored = await broadcast_row(db, broadcast_id)
    assert (stored.state, stored.queued, stored.audience) == (QUEUED, DEALERS, DEALERS)
    async with db.read() as session:
        recipients = (
            await session.exec(select(func.count()).select_from(BroadcastRecipient))
        ).one()
        assert recipients == DEALERS
        assert len((await session.exec(select(Broadcast))).all()) == 1
