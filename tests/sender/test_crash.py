"""A sender killed with SIGKILL mid-run: the next one finishes, nothing is lost.

What may be doubled is bounded: only rows left ``sending`` (requests in flight at the
kill) are sent again, and the emulator holds every request for a moment so that some are
always in flight, their messages landing after the sender died.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from redis.asyncio import Redis

from bots.emulator import EmulatorServer
from bots.sender.sender import ChatSender
from shared.chat.outbox import submit_many
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work
from tests.bus.support import eventually
from tests.sender.support import FAST, QUICK, delivered, ptb_bot, running, states, text_message
from tests.sender.worker import OPTIONS

ROOT = Path(__file__).resolve().parents[2]
CHATS, PER_CHAT = 20, 10


async def test_sigkill_mid_run_loses_nothing_and_doubles_at_most_what_was_in_flight(
    redis_url: str,
    database_url: str,
    db: Database,
    redis: Redis,
    clock: FakeClock,
    emulator: EmulatorServer,
) -> None:
    emu = emulator.emulator
    chats = [emu.create_user(f"Dealer {i}").id for i in range(CHATS)]
    messages = [text_message(f"m{i}:{c}", c) for i in range(PER_CHAT) for c in chats]
    total = len(messages)
    async with unit_of_work(db, clock) as uow:
        await submit_many(uow, messages)
    emu.inject_fault("delay", method="sendMessage", delay=0.2, count=total)

    def arrived() -> int:
        return sum(delivered(emulator, chats).values())

    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.sender.worker",
        redis_url,
        database_url,
        emulator.api_base,
        emulator.token,
        cwd=ROOT,
    )
    try:
        await emulator.wait_until(lambda: arrived() >= total // 5, timeout=30)
        worker.send_signal(signal.SIGKILL)
        assert await worker.wait() == -signal.SIGKILL
    finally:
        if worker.returncode is None:
            os.kill(worker.pid, signal.SIGKILL)
            await worker.wait()
    emu.clear_faults()
    left_sending = (await states(db))["sending"]
    assert 0 < left_sending <= OPTIONS.concurrency

    async with ptb_bot(emulator) as bot:
        survivor = ChatSender(db, redis, bot, clock, limits=FAST, options=QUICK)
        async with running(survivor):

            async def all_sent() -> bool:
                return (await states(db))["sent"] == total

            await eventually(all_sent, timeout=20)

    counts = delivered(emulator, chats)
    assert set(counts) == {m.key for m in messages}  # none lost
    doubled = sum(counts.values()) - total
    resumed = survivor.stats().resumed
    print(f"\ncrash: {left_sending} rows left 'sending', {resumed} resent, {doubled} doubled")
    assert resumed == left_sending
    assert doubled <= resumed <= OPTIONS.concurrency
