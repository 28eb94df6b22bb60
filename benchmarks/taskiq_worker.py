"""taskiq-redis doing the bus bench's work, for ``baton bench bus`` to compare the bus with.

``broker_and_task`` builds the same broker and task in the bench (which sends) and in the
worker process this module runs as (``python -m benchmarks.taskiq_worker``), as taskiq is
deployed: a worker process of its own. Each task inserts the bench's row in a transaction
of its own; taskiq has no batches and no inbox, so a message delivered twice is applied
twice.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from benchmarks.bus import BenchEvent
from shared.db.engine import Database

TASK_NAME = "baton_bench_record"


def broker_and_task(redis_url: str, queue: str, db: Database, batch: int) -> tuple[Any, Any]:
    """The stream broker on ``queue`` and its one task, recording into ``db``."""
    from taskiq_redis import RedisStreamBroker

    broker = RedisStreamBroker(
        redis_url, queue_name=queue, consumer_group_name=queue, xread_count=batch
    )

    async def record(seq: int, message_id: str) -> None:
        async with db.write() as session:
            session.add(BenchEvent(kind="taskiq", seq=seq, message_id=message_id))

    return broker, broker.register_task(record, task_name=TASK_NAME)


async def work(redis_url: str, queue: str, database_url: str, batch: int) -> None:
    """Receive and run tasks until killed; says ``ready`` once listening."""
    from taskiq.api import run_receiver_task

    db = Database(database_url)
    broker, _task = broker_and_task(redis_url, queue, db, batch)
    await broker.startup()
    print("ready", flush=True)
    await run_receiver_task(broker, run_startup=False)


if __name__ == "__main__":
    asyncio.run(work(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
