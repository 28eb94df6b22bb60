"""The orders service tells settlement, in the same transaction, and settlement books it."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from services.orders.models import CustomerBinding
from services.settlement.check import check_ledger
from services.settlement.models import SettledOrder
from shared.bus.streams import stream_key
from shared.db.models import OutboxRow
from shared.db.uow import unit_of_work
from shared.messages import REGISTRY, Envelope, Message
from shared.messages.orders import AcceptOffer, ConfirmPickup, MarkReady
from shared.messages.settlement import (
    SaleAccepted,
    SaleHandedOver,
    SaleLinesReturned,
    SaleVoided,
)
from tests.bus.support import eventually
from tests.orders.conftest import CHENGDU, Flow, dealer, dealer_actor, order
from tests.settlement.support import ZONE, balances

NEAR = dealer("Tianfu Store", CHENGDU[0] + 0.01, CHENGDU[1])
BEIJING = dealer("Chaoyang Store", 39.92, 116.44, region="beijing", city="Beijing")


async def settlement_events(flow: Flow) -> list[Message]:
    """Every message on the settlement stream, in order."""
    entries = await flow.runtime.redis.xrange(stream_key("settlement"))
    return [REGISTRY.resolve(Envelope.decode(fields[b"e"])) for _, fields in entries]


async def next_event(flow: Flow, kind: type[Message], seen: int) -> Message:
    """The first settlement event after the first ``seen`` ones, once the relay published it."""
    found: list[Message] = []

    async def published() -> bool:
        found[:] = (await settlement_events(flow))[seen:]
        return bool(found)

    await eventually(published)
    assert isinstance(found[0], kind), found
    return found[0]


async def accepted_order(flow: Flow, external_id: str, **extra: Any) -> dict[str, Any]:
    placed = await flow.place(order(external_id, qty=2, **extra))
    offer = flow.open_offer(await flow.until(placed["id"], "offered"))
    await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "accepted")
    return placed


async def handed_over(flow: Flow, placed: dict[str, Any]) -> None:
    await flow.send(MarkReady(order_id=placed["id"], actor=dealer_actor("near")))
    await flow.until(placed["id"], "ready_for_pickup")
    code = placed["pickup_code"]
    await flow.send(ConfirmPickup(order_id=placed["id"], code=code, actor=dealer_actor("near")))
    await flow.until(placed["id"], "completed")


async def test_each_money_moment_of_an_order_is_sent_with_the_sale(flow: Flow) -> None:
    await flow.setup({"near": NEAR, "bj": BEIJING}, {"near": 5})
    async with unit_of_work(flow.runtime.db, flow.clock) as uow:  # the customer is Beijing's
        uow.session.add(
            CustomerBinding(customer_id="c-S-1", dealer_id="bj", bound_at=flow.clock.now())
        )
    placed = await accepted_order(flow, "S-1", payment="cod")
    accepted = await next_event(flow, SaleAccepted, 0)
    assert isinstance(accepted, SaleAccepted)
    sale = accepted.sale
    assert (sale.order_id, sale.channel, sale.currency, sale.payment) == (
        placed["id"], "mall", "CNY", "cod",
    )  # fmt: skip
    assert (sale.fulfilling_dealer_id, sale.originating_dealer_id) == ("near", "bj")
    [line] = sale.lines
    assert (line.sku, line.qty, line.unit_price, line.list_price, line.wholesale_price) == (
        "PX-1", 2, 199900, 199900, 150000,
    )  # fmt: skip
    assert sale.accepted_at == flow.clock.now() and sale.handed_over_at is None

    await handed_over(flow, placed)
    handed = await next_event(flow, SaleHandedOver, 1)
    assert isinstance(handed, SaleHandedOver)
    assert handed.sale.handed_over_at == flow.clock.now()

    status, _ = await flow.api.call(
        "POST", f"/v1/orders/{placed['id']}/returns", {"lines": [{"sku": "PX-1", "qty": 1}]}
    )
    assert status == 200
    back = await next_event(flow, SaleLinesReturned, 2)
    assert isinstance(back, SaleLinesReturned) and back.lines == {"PX-1": 1}
    assert back.return_id.startswith("rt_")


async def test_a_cancel_voids_only_an_accepted_order(flow: Flow) -> None:
    await flow.setup({"near": NEAR}, {"near": 5})
    placed = await accepted_order(flow, "S-2")
    status, _ = await flow.api.call("POST", f"/v1/orders/{placed['id']}/cancel", {"reason": "no"})
    assert status == 200
    voided = await next_event(flow, SaleVoided, 1)
    assert isinstance(voided, SaleVoided) and voided.reason == "no"

    before = len(await settlement_events(flow))
    waiting = await flow.place(order("S-3"))
    await flow.until(waiting["id"], "offered")
    await flow.api.call("POST", f"/v1/orders/{waiting['id']}/cancel", {"reason": "no"})
    await flow.until(waiting["id"], "cancelled")

    async def drained() -> bool:  # everything the cancel emitted has been published
        async with flow.runtime.db.read() as session:
            return not (await session.exec(select(OutboxRow))).first()

    await eventually(drained)
    assert len(await settlement_events(flow)) == before  # nothing was held: nothing to void


async def test_settlement_books_an_order_from_acceptance_to_a_partial_return(
    settling: Flow,
) -> None:
    flow = settling
    await flow.setup({"near": NEAR}, {"near": 5})
    placed = await accepted_order(flow, "S-4")

    async def booked(account: str, amount: int) -> bool:
        return (await balances(flow.runtime.db)).get(account) == amount

    # No referral code and no binding: the referral share is HQ's.
    await eventually(lambda: booked("dealer:near:earnings:held", 2 * 184930))
    await handed_over(flow, placed)
    await eventually(lambda: booked("dealer:near:earnings:pending", 2 * 184930))
    await flow.api.call(
        "POST", f"/v1/orders/{placed['id']}/returns", {"lines": [{"sku": "PX-1", "qty": 1}]}
    )
    await eventually(lambda: booked("dealer:near:earnings:pending", 184930))
    await flow.pass_time(days=7, minutes=1)  # the return window closes: a durable timer
    await eventually(lambda: booked("dealer:near:earnings:available", 184930))
    async with flow.runtime.db.read() as session:
        row = (await session.exec(select(SettledOrder))).one()
    assert row.state == "available" and row.returned == {"PX-1": 1}
    report = await check_ledger(flow.runtime.db, zone=ZONE)
    assert report.ok, report.violation
