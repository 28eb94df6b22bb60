"""A whole order flow in the test's process: HTTP API, orders and stock services, relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import func, select

from services.orders.service import serve_orders
from services.stock.service import serve_stock
from shared.bus.relay import TimerRunner
from shared.bus.streams import stream_key
from shared.clock import FakeClock
from shared.db.models import OutboxRow
from shared.messages import REGISTRY, Envelope, Message
from shared.messages.orders import Actor
from shared.runtime import Runtime, delivery_loops, running
from shared.settings import Settings
from tests.bus.support import eventually
from tests.conftest import ApiClient

PRODUCT = {
    "name": "Phone X", "category": "phones", "currency": "CNY", "list_price": "1999.00",
    "wholesale_price": "1500.00", "floor_price": "1799.00", "channel": "both",
}  # fmt: skip
CHENGDU = (30.657, 104.066)
NEAR_BODY = {
    "name": "Tianfu Store", "region": "sichuan", "city": "Chengdu", "lat": 30.667,
    "lon": 104.066, "service_radius_km": 30, "capabilities": ["pickup", "delivery"],
    "capacity": 40,
}  # fmt: skip


def dealer(name: str, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    """A dealer body near a point."""
    return {
        "name": name, "region": "sichuan", "city": "Chengdu", "lat": lat, "lon": lon,
        "service_radius_km": 30, "capabilities": ["pickup", "delivery"], "capacity": 40,
    } | extra  # fmt: skip


def order(
    external_id: str, qty: int = 1, fulfilment: str = "pickup", **extra: Any
) -> dict[str, Any]:
    """An order body from a customer in Chengdu."""
    return {
        "external_id": external_id, "channel": "mall",
        "customer": {"id": f"c-{external_id}", "name": "Zhang Wei", "phone": "+86 138 0000 0000"},
        "fulfilment": fulfilment,
        "address": {"region": "sichuan", "city": "Chengdu", "line": "1 Tianfu Ave",
                    "lat": CHENGDU[0], "lon": CHENGDU[1]},
        "lines": [{"sku": "PX-1", "qty": qty, "unit_price": "1999.00"}],
        "currency": "CNY", "payment": "prepaid",
    } | extra  # fmt: skip


class Flow:
    """Drives the system as the shop, HQ and dealers would, and reads what it did."""

    def __init__(self, api: ApiClient, runtime: Runtime, clock: FakeClock) -> None:
        self.api = api
        self.runtime = runtime
        self.clock = clock
        self.timers = TimerRunner(runtime.db, clock)

    async def setup(self, dealers: dict[str, dict[str, Any]], stock: dict[str, int]) -> None:
        assert (await self.api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
        for dealer_id, body in dealers.items():
            assert (await self.api.call("PUT", f"/v1/dealers/{dealer_id}", body))[0] == 201
        for dealer_id, on_hand in stock.items():
            status, _ = await self.api.call(
                "PUT", f"/v1/dealers/{dealer_id}/stock/PX-1", {"on_hand": on_hand}
            )
            assert status == 200

    async def place(self, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = await self.api.call("POST", "/v1/orders", body)
        assert status == 201, answer
        return dict(answer)

    async def get(self, order_id: str) -> dict[str, Any]:
        status, body = await self.api.call("GET", f"/v1/orders/{order_id}")
        assert status == 200
        return dict(body)

    async def until(self, order_id: str, status: str, **where: Any) -> dict[str, Any]:
        """The order once it has ``status`` (and the given fields)."""
        seen: dict[str, Any] = {}

        async def reached() -> bool:
            seen.update(await self.get(order_id))
            return seen["status"] == status and all(seen.get(k) == v for k, v in where.items())

        try:
            await eventually(reached, timeout=15)
        except AssertionError:
            raise AssertionError(
                f"order {order_id} is {seen.get('status')}, not {status}: {seen}"
            ) from None
        return seen

    async def until_offered_to(self, order_id: str, dealer_id: str) -> dict[str, Any]:
        """The order once it is on offer to ``dealer_id``."""
        view: dict[str, Any] = {}

        async def offered() -> bool:
            view.update(await self.get(order_id))
            return any(
                o["state"] == "offered" and o["dealer_id"] == dealer_id for o in view["offers"]
            )

        await eventually(offered)
        return view

    def open_offer(self, view: dict[str, Any]) -> dict[str, Any]:
        [offer] = [o for o in view["offers"] if o["state"] == "offered"]
        return dict(offer)

    async def send(self, message: Message) -> None:
        await self.runtime.publisher.publish(message.STREAM, Envelope.wrap(message, self.clock))

    async def events(self, name: str, stream: str = "order-events") -> list[Any]:
        """The messages named ``name`` on ``stream`` so far (the order events unless told),
        once the relay has published every committed one (a view can show a change before
        its event reaches the stream)."""
        await eventually(self._outbox_empty, timeout=15)
        entries = await self.runtime.redis.xrange(stream_key(stream))
        decoded = [Envelope.decode(fields[b"e"]) for _, fields in entries]
        return [REGISTRY.resolve(e) for e in decoded if e.name == name]

    async def _outbox_empty(self) -> bool:
        async with self.runtime.db.read() as session:
            return (await session.exec(select(func.count()).select_from(OutboxRow))).one() == 0

    async def stock(self, dealer_id: str) -> dict[str, int]:
        status, body = await self.api.call("GET", f"/v1/dealers/{dealer_id}/stock")
        assert status == 200
        levels = {lv["sku"]: lv for lv in body["levels"]}
        return dict(levels.get("PX-1", {"on_hand": 0, "reserved": 0}))

    async def until_stock(self, dealer_id: str, **expected: int) -> None:
        """Wait until the dealer's PX-1 level shows ``expected`` (the stock service is async)."""

        async def matches() -> bool:
            level = await self.stock(dealer_id)
            return all(level.get(k) == v for k, v in expected.items())

        await eventually(matches)

    async def pass_time(self, **delta: float) -> None:
        """Move the clock and fire what became due."""
        self.clock.advance(**delta)
        await self.timers.fire_due()


def dealer_actor(dealer_id: str) -> Actor:
    """A chat user acting for ``dealer_id``."""
    return Actor(kind="dealer", id=f"tg-{dealer_id}", dealer_id=dealer_id)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Offers that time out after ten minutes."""
    return settings.model_copy(update={"offer_timeout_s": 600})


@pytest.fixture
async def flow(api: ApiClient, runtime: Runtime, clock: FakeClock) -> AsyncIterator[Flow]:
    """The orders and stock services with the relay, on a clock the test moves."""
    runtime.clock = clock
    async with serve_stock(runtime), serve_orders(runtime), running(*delivery_loops(runtime)):
        yield Flow(api, runtime, clock)


__all__ = ["CHENGDU", "NEAR_BODY", "Flow", "dealer", "dealer_actor", "order", "timedelta"]
