"""Many orders settling at once on two replicas, events duplicated and out of order.

Runs on SQLite and, with BATON_TEST_DATABASE_URL, on PostgreSQL (it uses the ``db``
fixture). The ledger must come out exactly as the pure split says, and pass every check.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from services.settlement.book import RESIDUAL
from services.settlement.check import check_ledger
from services.settlement.handlers import build_handlers
from services.settlement.split import Sale, reversal, split_sale
from services.settlement.split_rules import SplitConfig
from shared.bus.consumer import Consumer
from shared.bus.streams import Publisher
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.messages import Envelope, Message
from shared.messages.settlement import SaleSnapshot
from tests.bus.support import eventually
from tests.conftest import Running
from tests.settlement.support import (
    CASE,
    PHONE,
    WINDOW,
    ZONE,
    balances,
    returned,
    snapshot,
    stages,
    transaction_keys,
    voided,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ORDERS = 40
CLOCK = FakeClock(T0)


def plan(rng: random.Random) -> tuple[list[Message], set[str], dict[str, int]]:
    """Each order's events, the keys they must post and the dealers' expected balances."""
    messages: list[Message] = []
    keys: set[str] = set()
    expected: dict[str, int] = {}
    for n in range(ORDERS):
        order_id = f"o{n:03d}"
        lines = (PHONE, CASE) if n % 3 else (PHONE,)
        sale = snapshot(
            order_id, *lines, at=T0 + timedelta(minutes=n), fulfil=rng.choice("BC"),
            origin=rng.choice(["A", "B", None]), payment=rng.choice(["prepaid", "cod"]),
        )  # fmt: skip
        accepted, handed = stages(sale, T0 + timedelta(hours=1, minutes=n))
        messages.append(accepted)
        keys.add(f"order:{order_id}:accepted")
        if n % 5 == 0:
            messages.append(voided(sale, T0 + timedelta(minutes=n + 1)))
            keys.add(f"order:{order_id}:voided")
            continue
        messages.append(handed)
        keys.add(f"order:{order_id}:handed_over")
        back: dict[str, int] = {}
        if n % 4 == 1:
            back = {"CASE-1": 1} if len(lines) > 1 else {"PX-1": 1}
            messages.append(returned(handed.sale, f"r{n}", T0 + timedelta(days=1), **{
                sku.replace("-", "_"): qty for sku, qty in back.items()
            }))  # fmt: skip
            keys.add(f"order:{order_id}:return:r{n}")
        _expect(expected, sale, back)
    return messages, keys, expected


def _expect(expected: dict[str, int], snap: SaleSnapshot, back: dict[str, int]) -> None:
    sale = Sale(
        snap.order_id, snap.channel, snap.currency, snap.payment, snap.fulfilling_dealer_id,
        snap.originating_dealer_id, tuple(snap.lines),
    )  # fmt: skip
    for line, got in zip(sale.lines, split_sale(sale, SplitConfig()), strict=True):
        posted = {part.key: part.amount for part in got.parts}
        taken = (
            reversal(posted, RESIDUAL, line.unit_price, line.qty, 0, back[line.sku])
            if line.sku in back
            else {}
        )
        for part in got.parts:
            if part.dealer_id is not None:
                account = f"dealer:{part.dealer_id}:earnings:pending"
                amount = part.amount - taken.get(part.key, 0)
                expected[account] = expected.get(account, 0) + amount


async def test_many_orders_on_two_replicas_with_duplicates_and_disorder(
    db: Database,
    publisher: Publisher,
    make_consumer: Callable[..., Consumer],
    running: Running,
) -> None:
    rng = random.Random(20260302)
    messages, keys, expected = plan(rng)
    envelopes = [Envelope.wrap(m, CLOCK) for m in messages]
    rng.shuffle(envelopes)  # a handover before its acceptance, a return before its handover…
    envelopes += rng.sample(envelopes, len(envelopes) // 3)  # the same delivery again
    envelopes += [Envelope.wrap(m, CLOCK) for m in rng.sample(messages, len(messages) // 3)]
    rng.shuffle(envelopes)  # and the same event re-sent under a new message id

    handlers = build_handlers(SplitConfig(), WINDOW, ZONE)
    for _ in range(2):
        running.start(make_consumer(handlers, group="settlement"))
    half = len(envelopes) // 2
    for envelope in envelopes[:half]:
        await publisher.publish("settlement", envelope)

    async def some_posted() -> bool:
        return len(await transaction_keys(db)) > 0

    await eventually(some_posted, timeout=30)
    report = await check_ledger(db, zone=ZONE)  # checked while the replicas are still booking
    assert report.ok, report.violation
    for envelope in envelopes[half:]:
        await publisher.publish("settlement", envelope)

    async def all_posted() -> bool:
        return set(await transaction_keys(db)) == keys

    await eventually(all_posted, timeout=60)
    assert len(await transaction_keys(db)) == len(keys)  # nothing posted twice
    got = await balances(db)
    dealers = {k: v for k, v in got.items() if k.startswith("dealer:") and "earnings" in k}
    assert dealers == {k: v for k, v in expected.items() if v}
    report = await check_ledger(db, zone=ZONE)
    assert report.ok, report.violation
    assert report.orders == ORDERS
