"""Order status webhooks: signed, retried with back-off, and never in the order's way."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from services.webhooks.handlers import handlers_for
from services.webhooks.models import WebhookDelivery
from services.webhooks.sender import MAX_ATTEMPTS, WebhookSender, sign
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages import Envelope
from shared.messages.orders import OrderStatusChanged
from tests.bus.support import eventually

SECRET = "shop-secret"


class Shop:
    """A real HTTP server standing in for the shop; answers with the statuses it is given."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=self.answers.pop(0) if self.answers else 200)


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    shop = Shop()
    app = web.Application()
    app.router.add_post("/hooks", shop.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    shop.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
    yield shop
    await runner.cleanup()


def status_change(clock: FakeClock) -> Envelope:
    event = OrderStatusChanged(
        order_id="o1", external_id="shop-1", channel="mall", status="offered",
        previous="received", fulfilling_dealer_id="cd-1", originating_dealer_id=None,
        at=clock.now(),
    )  # fmt: skip
    return Envelope.wrap(event, clock)


async def test_a_status_change_reaches_the_shop_signed(
    make_consumer, running, publisher, db: Database, clock: FakeClock, shop: Shop
) -> None:
    consumer = make_consumer(handlers_for(shop.url), group="webhooks")
    running.start(consumer)
    envelope = status_change(clock)
    await publisher.publish("order-events", envelope)
    await eventually(lambda: consumer.stats.applied == 1)
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(db, clock, http, SECRET)
        assert await sender.send_due() == 1
        assert await sender.send_due() == 0
    [(headers, body)] = shop.received
    assert headers["X-Baton-Signature"] == sign(SECRET, body)
    assert headers["X-Baton-Event-Id"] == envelope.id
    assert json.loads(body) | {"at": None} == {
        "event_id": envelope.id, "type": "order.status_changed", "order_id": "o1",
        "external_id": "shop-1", "channel": "mall", "status": "offered",
        "previous": "received", "at": None,
    }  # fmt: skip


async def test_a_failing_shop_is_retried_with_back_off_then_given_up(
    db: Database, clock: FakeClock, shop: Shop
) -> None:
    async with db.write() as session:
        session.add(
            WebhookDelivery(
                id="e1",
                url=shop.url,
                body="{}",
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )
    shop.answers = [500, 503]
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(db, clock, http, SECRET)
        assert await sender.send_due() == 1  # 500
        assert await sender.send_due() == 0  # not due yet
        clock.advance(seconds=5)
        assert await sender.send_due() == 1  # 503
        clock.advance(seconds=9)
        assert await sender.send_due() == 0
        clock.advance(seconds=1)
        assert await sender.send_due() == 1  # 200
        assert sender.delivered == 1
        async with db.read() as session:
            delivery = await session.get(WebhookDelivery, "e1")
        assert delivery is not None and delivery.delivered_at is not None
        assert delivery.attempts == 3

        async with db.write() as session:
            session.add(
                WebhookDelivery(
                    id="e2", url="http://127.0.0.1:9/unreachable", body="{}",
                    next_attempt_at=clock.now(), created_at=clock.now(),
                )
            )  # fmt: skip
        for _ in range(MAX_ATTEMPTS):
            clock.advance(hours=2)
            await sender.send_due()
        async with db.read() as session:
            gone = await session.get(WebhookDelivery, "e2")
        assert gone is not None and gone.failed and gone.attempts == MAX_ATTEMPTS
        assert gone.last_error


async def test_the_sender_loop_delivers_without_being_asked(
    db: Database, clock: FakeClock, shop: Shop
) -> None:
    import asyncio

    async with db.write() as session:
        session.add(
            WebhookDelivery(
                id="e3",
                url=shop.url,
                body="{}",
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )
    async with aiohttp.ClientSession() as http:
        sender = WebhookSender(db, clock, http, SECRET)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop, poll_ms=20))
        await eventually(lambda: sender.delivered == 1)
        stop.set()
        await task
    assert len(shop.received) == 1
