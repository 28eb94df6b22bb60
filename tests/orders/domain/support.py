"""Builders for routing tests: a capable, stocked, nearby dealer and a plain order."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from services.orders.domain.facts import Candidate, Channel, FactLine, OrderFacts
from services.orders.domain.status import Fulfilment

ALL = frozenset({"pickup", "delivery", "installation"})
DEALER = Candidate(
    dealer_id="D1",
    distance_km=2.0,
    service_radius_km=20.0,
    capabilities=ALL,
    available={"SKU1": 10, "SKU2": 10},
)
WAREHOUSE = replace(
    DEALER,
    dealer_id="WH",
    is_warehouse=True,
    distance_km=900.0,
    service_radius_km=math.inf,
    capabilities=frozenset({"delivery"}),
    available={"SKU1": 1000, "SKU2": 1000},
)
ORDER = OrderFacts(
    order_id="o1",
    region="sichuan",
    city="chengdu",
    lat=30.66,
    lon=104.06,
    fulfilment=Fulfilment.DELIVERY,
    needs_installation=False,
    lines=(FactLine("SKU1", 2), FactLine("SKU2", 1)),
    amount_minor=45000,
)


def dealer(dealer_id: str = "D1", **changes: Any) -> Candidate:
    """The default dealer with some fields changed."""
    return replace(DEALER, dealer_id=dealer_id, **changes)


def order(**changes: Any) -> OrderFacts:
    """The default order with some fields changed."""
    return replace(ORDER, **changes)


def online_only(sku: str = "SKU2") -> OrderFacts:
    """The default order with one line online-only."""
    lines = tuple(
        FactLine(ln.sku, ln.qty, Channel.ONLINE_ONLY if ln.sku == sku else ln.channel)
        for ln in ORDER.lines
    )
    return order(lines=lines)
