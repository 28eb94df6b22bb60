"""HQ's price rules through the HTTP API and the real bot, on a clock the test moves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from services.pricing.models import PriceRule, Promotion
from shared.audit import AuditEntry
from shared.clock import FakeClock
from shared.runtime import Runtime
from tests.conftest import ApiClient
from tests.dealer.conftest import chats
from tests.orders.conftest import NEAR_BODY, PRODUCT, order

__all__ = ["NEAR_BODY", "PRODUCT", "Shop", "chats", "order"]


class Shop:
    """HQ and the shop over HTTP, and what the database holds of the rules."""

    def __init__(self, api: ApiClient, runtime: Runtime, clock: FakeClock) -> None:
        self.api = api
        self.runtime = runtime
        self.clock = clock

    async def catalog(self) -> None:
        """PX-1 (list 1999.00, floor 1799.00, category phones) and a store in Sichuan."""
        assert (await self.api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
        assert (await self.api.call("PUT", "/v1/dealers/near", NEAR_BODY))[0] == 201

    async def place(self, external_id: str, unit_price: str, **extra: Any) -> tuple[int, Any]:
        """POST an order of PX-1 at ``unit_price``; the status and the answer."""
        qty = extra.pop("qty", 1)
        body = order(external_id, qty=qty, **extra)
        body["lines"][0]["unit_price"] = unit_price
        return await self.api.call("POST", "/v1/orders", body)

    async def promotion(self, **fields: Any) -> dict[str, Any]:
        """POST a promotion (15 % off PX-1 everywhere for a day, by default); its view."""
        body = {
            "name": "Spring", "starts_at": self.clock.now().isoformat(),
            "ends_at": (self.clock.now() + timedelta(days=1)).isoformat(), "skus": ["PX-1"],
            "percent_off": "15", "funded_by": "hq",
        } | fields  # fmt: skip
        status, view = await self.api.call("POST", "/v1/promotions", body)
        assert status == 201, view
        return dict(view)

    async def sale_line(self, order_id: str) -> dict[str, Any]:
        """The order's one sale line as stored at intake."""
        from services.orders.models import OrderRow

        async with self.runtime.db.read() as session:
            row = await session.get(OrderRow, order_id)
        assert row is not None
        return dict(row.intake["sale_lines"][0])

    async def audit(self, action: str) -> list[AuditEntry]:
        async with self.runtime.db.read() as session:
            query = select(AuditEntry).where(col(AuditEntry.action) == action)
            return list((await session.exec(query.order_by(col(AuditEntry.id)))).all())

    async def rules(self) -> list[PriceRule]:
        async with self.runtime.db.read() as session:
            return list((await session.exec(select(PriceRule))).all())

    async def promotions(self) -> list[Promotion]:
        async with self.runtime.db.read() as session:
            return list((await session.exec(select(Promotion))).all())


@pytest.fixture
async def shop(api: ApiClient, runtime: Runtime, clock: FakeClock) -> Shop:
    """The API over the test's runtime, its clock the test's."""
    runtime.clock = clock
    return Shop(api, runtime, clock)
