"""A consumer in its own process, for tests that kill it with SIGKILL mid-message.

Usage: python -m tests.bus.worker REDIS_URL DATABASE_URL MARKER_FILE
A deposit of 666 makes the handler write MARKER_FILE and then hang, uncommitted.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from shared.bus.connection import connect
from shared.bus.consumer import Consumer, ConsumerOptions
from shared.bus.handling import Context
from shared.clock import SystemClock
from shared.db.engine import Database
from tests.bus.support import Deposit, apply_deposit


async def main(redis_url: str, database_url: str, marker: Path) -> None:
    async def hang_on_666(msg: Deposit, ctx: Context) -> None:
        await apply_deposit(msg, ctx)
        if msg.amount == 666:
            marker.write_text("in handler")
            await asyncio.Event().wait()

    db = Database(database_url)
    consumer = Consumer(
        group="g",
        handlers={Deposit: hang_on_666},
        redis=connect(redis_url),
        reader=connect(redis_url, blocking=True),
        db=db,
        clock=SystemClock(),
        options=ConsumerOptions(block_ms=100),
        name="doomed",
    )
    await consumer.run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
