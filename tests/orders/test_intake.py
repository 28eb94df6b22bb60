"""POST /v1/orders: every bad field named, nothing stored; the same order once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import func, select

from services.orders.domain.offer_state import OfferState
from services.orders.models import OfferRow, OrderRow, RoutingRow
from services.orders.service import serve_orders
from services.stock.service import serve_stock
from shared.clock import FakeClock
from shared.db.models import OutboxRow
from shared.messages import Envelope
from shared.runtime import Runtime, delivery_loops, running
from tests.conftest import ApiClient
from tests.orders.conftest import NEAR_BODY, Flow, order, timedelta


async def count_orders(flow: Flow) -> int:
    async with flow.runtime.db.read() as session:
        return int((await session.exec(select(func.count()).select_from(OrderRow))).one())


async def test_every_bad_field_is_named_and_nothing_is_stored(flow: Flow) -> None:
    await flow.setup({"near": NEAR_BODY}, {"near": 1})
    body = order("B-1") | {
        "lines": [
            {"sku": "NOPE", "qty": 1, "unit_price": "1.00"},
            {"sku": "PX-1", "qty": 0, "unit_price": "1999.00"},
            {"sku": "PX-1", "qty": 1, "unit_price": "10.00"},
            {"sku": "PX-1", "qty": 1, "unit_price": 1999},
        ],
        "address": {"region": "sichuan", "city": "Chengdu", "line": "x", "lat": 91, "lon": 200},
        "payment": "iou",
    }
    status, answer = await flow.api.call("POST", "/v1/orders", body)
    assert status == 422
    fields = {f["field"] for f in answer["error"]["fields"]}
    assert {
        "address.lat",
        "address.lon",
        "payment",
        "lines[1].qty",
        "lines[3].unit_price",
    } <= fields
    assert await count_orders(flow) == 0

    status, answer = await flow.api.call(
        "POST", "/v1/orders", order("B-1") | {"lines": [
            {"sku": "NOPE", "qty": 1, "unit_price": "1.00"},
            {"sku": "PX-1", "qty": 1, "unit_price": "10.00"},
        ]},
    )  # fmt: skip
    assert status == 422
    messages = {f["field"]: f["message"] for f in answer["error"]["fields"]}
    assert "unknown" in messages["lines[0].sku"].lower()
    assert "floor" in messages["lines[1].unit_price"].lower()
    assert await count_orders(flow) == 0


async def test_the_same_order_twice_is_one_order_and_a_changed_body_conflicts(flow: Flow) -> None:
    await flow.setup({"near": NEAR_BODY}, {"near": 1})
    first = await flow.place(order("B-2"))
    status, again = await flow.api.call("POST", "/v1/orders", order("B-2"))
    assert status == 200
    assert again["id"] == first["id"]
    assert "pickup_code" not in again  # shown once only
    status, answer = await flow.api.call("POST", "/v1/orders", order("B-2", qty=2))
    assert (status, answer["error"]["code"]) == (409, "conflict")
    assert await count_orders(flow) == 1


async def test_oversized_and_malformed_bodies_are_refused(flow: Flow) -> None:
    status, answer = await flow.api.call("POST", "/v1/orders", data=b"[" * 10)
    assert (status, answer["error"]["code"]) == (400, "bad_json")
    status, answer = await flow.api.call("POST", "/v1/orders", data=b" " * (300 * 1024))
    assert status == 413
    status, answer = await flow.api.call("GET", "/v1/orders/o_missing")
    assert status == 404


async def test_a_referral_code_makes_its_dealer_the_originating_one(flow: Flow) -> None:
    await flow.setup({"near": NEAR_BODY | {"referral_code": "TF-88"}}, {"near": 1})
    body = order("B-3")
    body["customer"]["referral_code"] = "tf-88"
    placed = await flow.place(body)
    view = await flow.get(placed["id"])
    assert view["originating_dealer_id"] == "near"


async def test_an_order_is_routed_and_its_stock_asked_for_in_the_commit_that_takes_it(
    api: ApiClient, runtime: Runtime, clock: FakeClock
) -> None:
    """No orders consumer runs: the POST alone stores the order, its routing decision, an
    offer reserving stock at the near dealer, and the ReserveStock command in the outbox."""
    runtime.clock = clock
    flow = Flow(api, runtime, clock)
    await flow.setup({"near": NEAR_BODY}, {"near": 2})
    placed = await flow.place(order("B-4"))
    async with runtime.db.read() as session:
        offers = (await session.exec(select(OfferRow))).all()
        decisions = (await session.exec(select(RoutingRow))).all()
        outbox = (await session.exec(select(OutboxRow))).all()
    assert [(o.order_id, o.dealer_id, o.state) for o in offers] == [
        (placed["id"], "near", OfferState.RESERVING)
    ]
    assert [(d.order_id, d.attempt) for d in decisions] == [(placed["id"], 1)]
    commands = [Envelope.decode(row.envelope.encode()) for row in outbox]
    reserve = [c for c in commands if c.name == "stock.ReserveStock"]
    assert [(c.payload["order_id"], c.payload["dealer_id"]) for c in reserve] == [
        (placed["id"], "near")
    ]
    assert reserve[0].payload["request_id"] == offers[0].request_id
    assert not [c for c in commands if c.name == "orders.RouteOrder"]


async def test_a_round_whose_stock_answer_comes_after_a_whole_offer_window_still_opens(
    api: ApiClient, runtime: Runtime, clock: FakeClock
) -> None:
    """Under a backlog the stock's answer can arrive later than the deadline set at routing;
    the dealer's window then starts when the offer opens, and the order is not stuck."""
    runtime.clock = clock
    flow = Flow(api, runtime, clock)
    await flow.setup({"near": NEAR_BODY}, {"near": 2})
    placed = await flow.place(order("B-5"))  # routed; ReserveStock waits in the outbox
    clock.advance(minutes=30)  # far past the routing-time deadline (offers last 10 minutes)
    async with serve_stock(runtime), serve_orders(runtime), running(*delivery_loops(runtime)):
        view = await flow.until(placed["id"], "offered")
    offer = flow.open_offer(view)
    assert datetime.fromisoformat(offer["deadline"]) == clock.now() + timedelta(minutes=10)
