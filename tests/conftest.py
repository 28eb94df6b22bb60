"""Real Redis and a real SQL database for every test, each test starting clean."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlmodel import SQLModel

from baton.api import serve_api
from baton.runtime import open_runtime
from shared.bus.connection import connect
from shared.bus.consumer import Consumer, ConsumerOptions
from shared.bus.embedded import EmbeddedRedis
from shared.bus.handling import Handler
from shared.bus.streams import Publisher
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.migrate import load_models, upgrade_sync
from shared.messages import Message
from shared.runtime import Runtime
from shared.settings import Settings
from tests.bus.support import Deposit, apply_deposit

TEST_REDIS_URL = os.environ.get("BATON_TEST_REDIS_URL")
TEST_DATABASE_URL = os.environ.get("BATON_TEST_DATABASE_URL")
# The admin key of the tests' API: strong enough for the start-up check, known to the tests.
TEST_TOKEN = "Wq7vZ2mN4pR8sT1wX5yB9cD3fG6hJ0Lk"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """BATON_TEST_REDIS_URL, or a private redis-server on a unix socket or free port."""
    if TEST_REDIS_URL:
        yield TEST_REDIS_URL
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persistent=False)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A command client on an empty Redis database."""
    client = connect(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def reader(redis_url: str) -> AsyncIterator[Redis]:
    """A client of its own for blocking reads."""
    client = connect(redis_url, blocking=True)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: PostgreSQL from BATON_TEST_DATABASE_URL, else a SQLite template."""
    load_models()
    # tests.bus.support (imported above) defines the test-only tables.

    if TEST_DATABASE_URL:

        async def reset_schema() -> None:
            db = Database(TEST_DATABASE_URL)
            async with db.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await db.dispose()

        asyncio.run(reset_schema())
        upgrade_sync(TEST_DATABASE_URL)
        asyncio.run(_create_test_tables(TEST_DATABASE_URL))
        return TEST_DATABASE_URL
    template = tmp_path_factory.mktemp("db") / "template.db"
    upgrade_sync(f"sqlite+aiosqlite:///{template}")
    asyncio.run(_create_test_tables(f"sqlite+aiosqlite:///{template}"))
    return str(template)


async def _create_test_tables(url: str) -> None:
    # Tables that exist only for tests (named test_*) are created here, not by migrations.
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name.startswith("test_")]
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)
    await db.dispose()


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """A clean, migrated database for one test."""
    if TEST_DATABASE_URL:
        return migrated_database
    path = tmp_path / "baton.db"
    shutil.copyfile(migrated_database, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The test's database, emptied first on PostgreSQL (SQLite gets a fresh copy)."""
    database = Database(database_url)
    if not database.is_sqlite:
        tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test moves it."""
    return FakeClock()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the database, so CI can run them again on PostgreSQL."""
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def settings(redis_url: str, database_url: str, tmp_path: Path) -> Settings:
    """Settings for a whole Baton process on the test's Redis and database, on free ports."""
    return Settings(
        data_dir=tmp_path / "var",
        redis_url=redis_url,
        database_url=database_url,
        http_port=0,
        emulator_port=0,
        api_token=TEST_TOKEN,
        block_ms=100,
        outbox_poll_ms=50,
        timer_poll_ms=50,
    )


@pytest.fixture
async def runtime(settings: Settings, db: Database, redis: Redis) -> AsyncIterator[Runtime]:
    """A composition root over the test's clean Redis and database."""
    async with open_runtime(settings) as built:
        yield built


class ApiClient:
    """The test's HTTP client for the API: JSON in, (status, JSON) out, token preset."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http

    async def call(
        self, method: str, path: str, body: object = None, **kwargs: Any
    ) -> tuple[int, Any]:
        """Send a request; returns the status and the decoded JSON body (or text)."""
        headers = {"Authorization": f"Bearer {TEST_TOKEN}", **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as r:
            if r.content_type == "application/json":
                return r.status, await r.json()
            return r.status, await r.text()


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[ApiClient]:
    """The HTTP API served on a free port over the test's runtime."""
    async with serve_api(runtime) as url, aiohttp.ClientSession() as http:
        yield ApiClient(url, http)


FAST = ConsumerOptions(max_deliveries=3, claim_idle_ms=200, retry_base_ms=5, block_ms=50)


@pytest.fixture
def publisher(redis: Redis) -> Publisher:
    """Publishes straight to the test's Redis."""
    return Publisher(redis, maxlen=10_000)


class Running:
    """Consumers started by a test, stopped at its end."""

    def __init__(self) -> None:
        self.tasks: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def start(self, consumer: Consumer) -> asyncio.Event:
        stop = asyncio.Event()
        self.tasks.append((stop, asyncio.create_task(consumer.run(stop))))
        return stop

    async def stop_all(self) -> None:
        for stop, _ in self.tasks:
            stop.set()
        await asyncio.gather(*(task for _, task in self.tasks))


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    """Start consumers with ``running.start(consumer)``; all stop when the test ends."""
    handle = Running()
    yield handle
    await handle.stop_all()


@pytest.fixture
def make_consumer(
    redis: Redis, reader: Redis, db: Database, clock: FakeClock
) -> Callable[..., Consumer]:
    """Build a consumer of group ``g`` with fast test timings."""

    def build(
        handlers: Mapping[type[Message], Handler] | None = None,
        group: str = "g",
        **options: Any,
    ) -> Consumer:
        opts = ConsumerOptions(**{**FAST.__dict__, **options})
        return Consumer(
            group=group,
            handlers=handlers or {Deposit: apply_deposit},
            redis=redis,
            reader=reader,
            db=db,
            clock=clock,
            options=opts,
        )

    return build
