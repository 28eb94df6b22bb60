"""One list of order statuses: the domain's, the events' (and so the webhooks'), the README's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

from services.orders import codec
from services.orders.domain.order import Order, OrderLine
from services.orders.domain.status import Fulfilment, OrderStatus
from shared.messages.orders import StatusName

README = Path(__file__).resolve().parents[2] / "README.md"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_events_carry_exactly_the_domains_statuses() -> None:
    assert set(get_args(StatusName)) == {str(s) for s in OrderStatus}


def test_the_readme_lists_every_status() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Order statuses", 1)[1].split("\n#", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    assert listed == {str(s) for s in OrderStatus}


def test_an_order_waiting_for_hq_is_stored_and_loaded_with_that_status() -> None:
    # Orders stored while it was a flag beside "received" are moved by migration 0009.
    order = Order.receive("o1", Fulfilment.PICKUP, (OrderLine("A", 1, 100),), T0, "shop")
    order.wait_for_hq(T0, "system")
    data = codec.dump(order)
    assert data["status"] == "waiting_for_hq" and codec.load(data) == order
