"""Several bot replicas: exactly one polls Telegram; another takes over when it stops."""

from __future__ import annotations

from contextlib import AsyncExitStack

from redis.asyncio import Redis

from bots.dealer.app import build_application, polling
from bots.emulator import EmulatorClient, EmulatorServer
from shared.leader import LeaderLock
from shared.runtime import Runtime
from tests.bus.support import eventually

TOKEN = "7000000003:replica-test-token"


async def test_one_replica_polls_and_another_takes_over(runtime: Runtime, redis: Redis) -> None:
    server = EmulatorServer(tokens=[TOKEN])
    await server.start()
    replicas = [build_application(TOKEN, server.api_base, runtime) for _ in range(3)]
    # A ttl a busy machine cannot outlast: with 600 ms, an event loop held up for half a
    # second let a second replica take the lock while the first still polled (a 409).
    # Takeover does not wait for it: a stopping leader releases the lock.
    locks = [LeaderLock(redis, "bot-poller-test", ttl_ms=6_000) for _ in replicas]
    try:
        async with EmulatorClient(server.url) as emu, AsyncExitStack() as stack:
            each = [AsyncExitStack() for _ in replicas]
            for app, lock, own in zip(replicas, locks, each, strict=True):
                stack.push_async_callback(own.aclose)
                await own.enter_async_context(polling(app, poll_timeout=1, elect=lock))
            user = (await emu.create_user("Li", language_code="en"))["id"]
            await emu.send_text(user, "/help")
            first = await emu.wait_for_message(user, contains="What you can do", timeout=10)
            calls = (await emu.stats())["calls"].get("getUpdates", 0)

            async def polled_more() -> bool:  # several long polls, many election rounds
                return (await emu.stats())["calls"].get("getUpdates", 0) >= calls + 3

            await eventually(polled_more)
            assert sum(lock.held for lock in locks) == 1
            assert sum(app.updater is not None and app.updater.running for app in replicas) == 1
            assert (await emu.stats())["errors"].get("409", 0) == 0  # never two pollers

            leader = next(i for i, lock in enumerate(locks) if lock.held)
            await each[leader].aclose()  # the polling replica stops
            await emu.send_text(user, "/help")
            await emu.wait_for_message(
                user, timeout=10,
                predicate=lambda m: m["message_id"] > first["message_id"]
                and "What you can do" in (m["text"] or ""),
            )  # fmt: skip
            assert sum(lock.held for lock in locks) == 1
    finally:
        await server.stop()
