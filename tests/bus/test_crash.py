"""A consumer killed with SIGKILL mid-message: its message is reclaimed and applied once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from redis.asyncio import Redis

from shared.bus.streams import Publisher, stream_key
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages import Envelope
from tests.bus.support import Deposit, entries, entry_count, eventually

ROOT = Path(__file__).resolve().parents[2]


async def test_sigkill_mid_message_is_reclaimed_and_applied_exactly_once(
    redis_url: str,
    database_url: str,
    db: Database,
    redis: Redis,
    publisher: Publisher,
    clock: FakeClock,
    make_consumer,
    running,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "in-handler"
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bus.worker", redis_url, database_url, str(marker), cwd=ROOT
    )
    try:
        await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=1), clock))
        await eventually(lambda: entry_count(db), timeout=20)
        await publisher.publish("test", Envelope.wrap(Deposit(account="a", amount=666), clock))
        await eventually(marker.exists, timeout=20)
        worker.send_signal(signal.SIGKILL)
        assert await worker.wait() == -signal.SIGKILL
    finally:
        if worker.returncode is None:
            os.kill(worker.pid, signal.SIGKILL)
            await worker.wait()
    # The first deposit was committed; the second was in hand, uncommitted, and unacked.
    assert [e.amount for e in await entries(db)] == [1]
    info = await redis.xpending(stream_key("test"), "g")
    assert info["pending"] == 1

    survivor = make_consumer(claim_idle_ms=200)
    running.start(survivor)
    await eventually(lambda: survivor.stats.reclaimed == 1)
    await eventually(lambda: survivor.stats.applied == 1)
    assert sorted(e.amount for e in await entries(db)) == [1, 666]
    assert await entry_count(db) == 2
    assert (await redis.xpending(stream_key("test"), "g"))["pending"] == 0
