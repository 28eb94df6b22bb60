"""Messages, a table and handlers that exist only to test the bus."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import Field as PydanticField
from redis.asyncio import Redis
from sqlmodel import Field, SQLModel, col, func, select

from shared.bus.handling import Context
from shared.db.engine import Database
from shared.messages import Message, message


@message("test.Deposit", stream="test")
class Deposit(Message):
    """Add ``amount`` to ``account``."""

    account: str
    amount: int = PydanticField(ge=0)


@message("test.Poison", stream="test")
class Poison(Message):
    """A message whose handler always fails."""

    note: str = ""


@message("test.Deposited", stream="test-out")
class Deposited(Message):
    """Emitted after a deposit was applied."""

    account: str
    amount: int


class TestEntry(SQLModel, table=True):
    """One applied deposit."""

    __tablename__ = "test_entries"
    __test__ = False

    id: int | None = Field(default=None, primary_key=True)
    message_id: str
    account: str
    amount: int


async def apply_deposit(msg: Deposit, ctx: Context) -> None:
    """Write the deposit and announce it."""
    ctx.uow.session.add(
        TestEntry(message_id=ctx.envelope.id, account=msg.account, amount=msg.amount)
    )
    ctx.uow.emit(Deposited(account=msg.account, amount=msg.amount))


async def always_fail(msg: Poison, ctx: Context) -> None:
    """Fail every time."""
    raise RuntimeError(f"poison: {msg.note}")


async def entries(db: Database) -> list[TestEntry]:
    """Every applied deposit, in order."""
    async with db.read() as session:
        return list((await session.exec(select(TestEntry).order_by(col(TestEntry.id)))).all())


async def entry_count(db: Database) -> int:
    """How many deposits were applied."""
    async with db.read() as session:
        return int((await session.exec(select(func.count()).select_from(TestEntry))).one())


async def eventually(
    predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.01
) -> None:
    """Await until ``predicate()`` (sync or async) is true, failing after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


async def group_drained(redis: Redis, stream: str, group: str) -> bool:
    """True once ``group`` has been handed every entry of ``stream`` and has acked them all.

    Read from Redis, not from consumer counters: a replica that reclaims an entry another
    is still working on counts it a second time, so counters can add up early.
    """
    last = (await redis.xinfo_stream(stream))["last-generated-id"]
    for info in await redis.xinfo_groups(stream):
        if info["name"] == group.encode():
            return bool(info["pending"] == 0 and info["last-delivered-id"] == last)
    return False


class TestCounter(SQLModel, table=True):
    """A number that concurrent writers increment."""

    __tablename__ = "test_counters"
    __test__ = False

    name: str = Field(primary_key=True)
    value: int = 0
