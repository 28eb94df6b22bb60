"""The stock answers of a batch are handled together, with the effect of one after the other."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis
from sqlmodel import col, select

from services.orders.dispatch import Routing
from services.orders.domain.offer_state import OfferState
from services.orders.models import OfferRow, OrderRow
from services.orders.reservations import stock_reserved_batch
from services.orders.rounds import timer_key
from shared.bus.handling import Context
from shared.clock import FakeClock
from shared.db.models import OutboxRow, TimerRow
from shared.db.uow import unit_of_work
from shared.messages import Envelope
from shared.messages.stock import StockReserved
from shared.runtime import Runtime
from shared.settings import Settings
from tests.conftest import ApiClient
from tests.orders.conftest import CHENGDU, PRODUCT, dealer, order


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Sichuan offers each order to two dealers at once, so a round waits for two answers."""
    return settings.model_copy(update={"grab_regions": "sichuan", "grab_k": 2})


async def _offers(runtime: Runtime, order_id: str) -> dict[str, OfferRow]:
    async with runtime.db.read() as session:
        rows = (await session.exec(select(OfferRow).where(OfferRow.order_id == order_id))).all()
    return {row.dealer_id: row for row in rows}


def _reserved(offer: OfferRow) -> StockReserved:
    return StockReserved(
        request_id=offer.request_id, order_id=offer.order_id, dealer_id=offer.dealer_id
    )


async def test_a_run_of_stock_answers_opens_each_round_once_when_its_last_answer_is_in(
    api: ApiClient, runtime: Runtime, redis: Redis, clock: FakeClock
) -> None:
    """Orders taken in by the API (no stock service running, so their offers wait for the
    stock's answers); then one run of answers: both dealers of ``G-1`` (its round opens once,
    to both), one of ``G-2`` (its round waits for the other), ``G-1``'s first again (a
    repeat) and a request no offer made. Every answer is caused by its own message."""
    runtime.clock = clock
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    for name, dlat in (("one", 0.01), ("two", -0.01)):
        body = dealer(name.title(), CHENGDU[0] + dlat, CHENGDU[1])
        assert (await api.call("PUT", f"/v1/dealers/{name}", body))[0] == 201
        assert (await api.call("PUT", f"/v1/dealers/{name}/stock/PX-1", {"on_hand": 5}))[0] == 200
    ids = []
    for external_id in ("G-1", "G-2"):
        status, placed = await api.call("POST", "/v1/orders", order(external_id))
        assert status == 201, placed
        ids.append(placed["id"])
    g1, g2 = await _offers(runtime, ids[0]), await _offers(runtime, ids[1])
    assert {o.state for o in [*g1.values(), *g2.values()]} == {OfferState.RESERVING}

    run = [
        _reserved(g1["one"]), _reserved(g2["one"]), _reserved(g1["two"]), _reserved(g1["one"]),
        StockReserved(request_id="no-such-request", order_id=ids[0], dealer_id="one"),
    ]  # fmt: skip
    envelopes = [Envelope.wrap(m, clock) for m in run]
    async with unit_of_work(runtime.db, clock) as uow:
        contexts = [(m, Context(e, uow, clock, 1)) for m, e in zip(run, envelopes, strict=True)]
        await stock_reserved_batch(
            contexts, redis=redis, routing=Routing.from_settings(runtime.settings)
        )

    g1, g2 = await _offers(runtime, ids[0]), await _offers(runtime, ids[1])
    deadline = clock.now() + Routing.from_settings(runtime.settings).offer_timeout
    assert {d: (o.state, o.offered_at, o.deadline) for d, o in g1.items()} == {
        "one": (OfferState.OFFERED, clock.now(), deadline),
        "two": (OfferState.OFFERED, clock.now(), deadline),
    }
    assert {d: (o.state, o.offered_at) for d, o in g2.items()} == {
        "one": (OfferState.RESERVED, None),
        "two": (OfferState.RESERVING, None),
    }
    async with runtime.db.read() as session:
        statuses = dict((await session.exec(select(OrderRow.id, OrderRow.status))).all())
        timers = (await session.exec(select(TimerRow.key))).all()
        outbox = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    assert statuses[ids[0]] == "offered"
    assert statuses[ids[1]] != "offered"
    assert timers == [timer_key(ids[0], g1["one"].attempt)]
    caused = {e.id: i for i, e in enumerate(envelopes)}
    answered: list[tuple[int, str, Any]] = []
    for row in outbox:
        event = Envelope.decode(row.envelope.encode())
        if event.causation_id in caused:
            answered.append(
                (caused[event.causation_id], event.name, event.payload.get("dealer_id"))
            )
    # Only the answer that completes G-1's round says anything: the order is offered to both.
    assert [(i, name) for i, name, _ in answered] == [
        (2, "orders.OrderStatusChanged"), (2, "orders.OrderOffered"), (2, "orders.OrderOffered"),
    ]  # fmt: skip
    assert sorted(d for _, name, d in answered if name == "orders.OrderOffered") == ["one", "two"]
