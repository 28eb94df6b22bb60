"""Orders posted together are taken in together, and each still gets its own answer."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import func, select

from services.orders.domain.intake import IntakeError
from services.orders.intake import OrderConflict, Received
from services.orders.intake_queue import IntakeQueue
from services.orders.models import OfferRow, OrderRow, RoutingRow
from shared.messages.stock import ReserveStock
from tests.orders.conftest import NEAR_BODY, Flow, dealer, order


async def _count(flow: Flow, table: Any) -> int:
    async with flow.runtime.db.read() as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def _all(queue: IntakeQueue, bodies: list[dict[str, Any]]) -> list[Any]:
    # Started in one go, every receive is queued before the first batch begins.
    return await asyncio.gather(*(queue.receive(b) for b in bodies), return_exceptions=True)


async def test_orders_sent_together_are_one_batch_and_each_is_routed(flow: Flow) -> None:
    await flow.setup({"near": NEAR_BODY}, {"near": 10})
    queue = IntakeQueue(flow.runtime)
    bodies = [order(f"T-{i}", fulfilment="pickup" if i % 2 else "delivery") for i in range(6)]
    answers = await _all(queue, bodies)

    assert queue.batches == 1
    assert all(isinstance(a, Received) and a.created for a in answers)
    ids = {a.row.id for a in answers}
    assert len(ids) == 6
    codes = [a.pickup_code for a in answers]
    assert [c is not None for c in codes] == [False, True] * 3  # pickup orders only
    assert len({c for c in codes if c}) == 3
    assert await _count(flow, OrderRow) == 6
    assert await _count(flow, RoutingRow) == 6
    async with flow.runtime.db.read() as session:
        offers = (await session.exec(select(OfferRow))).all()
    assert {o.order_id for o in offers} == ids
    # What the batch emitted, once the relay (running beside the test) has published it.
    reserve = await flow.events("stock.ReserveStock", ReserveStock.STREAM)
    assert {m.request_id for m in reserve} == {o.request_id for o in offers}
    changed = await flow.events("orders.OrderStatusChanged")
    assert {m.order_id for m in changed} == ids
    # Each one is then offered as if it had come alone.
    for answer in answers:
        await flow.until_offered_to(answer.row.id, "near")


async def test_each_order_of_a_batch_gets_its_own_answer(flow: Flow) -> None:
    await flow.setup({"near": NEAR_BODY}, {"near": 10})
    first = await flow.place(order("A-1"))
    queue = IntakeQueue(flow.runtime)
    unknown = order("A-2") | {"lines": [{"sku": "NOPE", "qty": 1, "unit_price": "1.00"}]}
    answers = await _all(
        queue,
        [order("A-3"), unknown, order("A-1"), order("A-1", qty=2), order("A-4"), order("A-4")],
    )

    new, refused, again, conflict, twin_a, twin_b = answers
    assert isinstance(new, Received) and new.created
    assert isinstance(refused, IntakeError)
    assert "unknown" in refused.errors[0].message.lower()
    assert isinstance(again, Received) and not again.created and again.row.id == first["id"]
    assert again.pickup_code is None  # shown once only
    assert isinstance(conflict, OrderConflict)
    # The same order twice in one batch: one order, taken once, found the second time.
    assert isinstance(twin_a, Received) and isinstance(twin_b, Received)
    assert twin_a.row.id == twin_b.row.id and [twin_a.created, twin_b.created] == [True, False]
    assert await _count(flow, OrderRow) == 3


async def test_a_promotion_too_small_for_the_batch_is_shared_out_one_order_at_a_time(
    flow: Flow,
) -> None:
    """The batch's claim of the promotion's units fails as a whole; each order is then taken
    alone, so the first gets the last unit and the second, priced again, is refused."""
    await flow.setup({"near": NEAR_BODY}, {"near": 10})
    start, end = flow.clock.now(), flow.clock.now() + timedelta(days=1)
    promotion = {
        "name": "Last one", "starts_at": start.isoformat(), "ends_at": end.isoformat(),
        "skus": ["PX-1"], "percent_off": "15", "funded_by": "hq", "unit_cap": 1,
    }  # fmt: skip
    status, view = await flow.api.call("POST", "/v1/promotions", promotion)
    assert status == 201, view
    below_floor = [order(f"P-{i}") for i in range(2)]
    for body in below_floor:
        body["lines"][0]["unit_price"] = "1699.15"  # only with the promotion's price
    queue = IntakeQueue(flow.runtime)
    answers = await _all(queue, below_floor)

    assert [type(a) for a in answers] == [Received, IntakeError]
    status, view = await flow.api.call("GET", f"/v1/promotions/{view['id']}")
    assert view["units_sold"] == 1
    assert await _count(flow, OrderRow) == 1


async def test_a_batch_counts_its_own_offers_when_it_routes(flow: Flow) -> None:
    """As if routed one after the other: the near store can take one more order today, so
    the first order of the batch goes there and the second, seeing that offer, goes on."""
    stores = {"near": NEAR_BODY | {"capacity": 1}, "far": dealer("Far", 30.70, 104.10)}
    await flow.setup(stores, {"near": 5, "far": 5})
    queue = IntakeQueue(flow.runtime)
    answers = await _all(queue, [order("R-1"), order("R-2")])
    assert queue.batches == 1
    async with flow.runtime.db.read() as session:
        decisions = {d.order_id: d.decision for d in (await session.exec(select(RoutingRow)))}
    first, second = (decisions[a.row.id] for a in answers)
    assert first["targets"] == ["near"]
    assert second["targets"] == ["far"]
    assert second["excluded"]["near"]["rule"] == "capacity"


@pytest.mark.parametrize("most", [1, 2])
async def test_a_burst_larger_than_a_batch_is_taken_in_several(flow: Flow, most: int) -> None:
    await flow.setup({"near": NEAR_BODY}, {"near": 10})
    queue = IntakeQueue(flow.runtime, most=most)
    answers = await _all(queue, [order(f"M-{i}") for i in range(4)])
    assert all(isinstance(a, Received) and a.created for a in answers)
    assert queue.batches == 4 // most
