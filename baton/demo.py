"""Demo data for `baton up --demo`: a small network around Chengdu and Beijing."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from services.access.public import create_key, list_keys
from services.catalog.schemas import DealerBody, ProductBody
from services.catalog.store import put_dealer, put_product
from services.pricing.models import Promotion
from services.pricing.schemas import PromotionBody, validation_context
from services.pricing.store import create_promotion
from services.stock.handlers import apply_report
from shared import kept_secrets
from shared.db.uow import unit_of_work
from shared.runtime import Runtime

PRODUCTS = {
    "PX-1": ProductBody(
        name="Phone X 128G", category="phones", currency="CNY", list_price="1999.00",
        wholesale_price="1500.00", floor_price="1799.00",
    ),
    "AC-9": ProductBody(
        name="Air conditioner 1.5P", category="appliances", currency="CNY",
        list_price="3299.00", wholesale_price="2500.00", floor_price="2999.00",
        needs_installation=True,
    ),
    "CASE-1": ProductBody(
        name="Phone X case (online exclusive)", category="accessories", currency="CNY",
        list_price="99.00", wholesale_price="40.00", floor_price="79.00", channel="online_only",
    ),
}  # fmt: skip

DEALERS = {
    "cd-tianfu": DealerBody(
        name="天府广场店", region="sichuan", city="Chengdu", lat=30.6574, lon=104.0658,
        service_radius_km=25, capabilities=["pickup", "delivery", "installation"], capacity=30,
        referral_code="CD-TIANFU",
    ),
    "cd-wuhou": DealerBody(
        name="武侯店", region="sichuan", city="Chengdu", lat=30.6420, lon=104.0430,
        service_radius_km=20, capabilities=["pickup", "delivery"], capacity=20,
        referral_code="CD-WUHOU",
    ),
    "bj-chaoyang": DealerBody(
        name="Chaoyang store", region="beijing", city="Beijing", lat=39.9219, lon=116.4436,
        service_radius_km=30, capabilities=["pickup", "delivery", "installation"], capacity=40,
        referral_code="BJ-CHAOYANG",
    ),
    "hq-warehouse": DealerBody(
        name="HQ central warehouse", region="hubei", city="Wuhan", lat=30.5928, lon=114.3055,
        service_radius_km=3000, capabilities=["delivery"], capacity=10000, warehouse=True,
    ),
}  # fmt: skip

STOCK = {
    "cd-tianfu": {"PX-1": 5, "AC-9": 2},
    "cd-wuhou": {"PX-1": 3},
    "bj-chaoyang": {"PX-1": 8, "AC-9": 4},
    "hq-warehouse": {"PX-1": 500, "AC-9": 100, "CASE-1": 1000},
}

# A live promotion, so that /prices has something to show and the Sichuan store's chat gets
# HQ's announcement with its Acknowledge button. Made once: a later `baton up --demo` finds it.
PROMOTION = {
    "name": "Demo: Sichuan phone week", "skus": ["PX-1"], "regions": ["sichuan"],
    "percent_off": "10", "funded_by": "hq", "unit_cap": 50,
}  # fmt: skip

EXAMPLE_ORDER = """curl -s -X POST {api}/v1/orders -H "Authorization: Bearer {token}" \\
    -H 'Content-Type: application/json' -d '{{"external_id": "{external_id}", "channel": "mall",
    "customer": {{"id": "c-1", "name": "Zhang Wei", "phone": "+86 138 0000 0000",
                  "referral_code": "BJ-CHAOYANG"}},
    "fulfilment": "pickup", "address": {{"region": "sichuan", "city": "Chengdu",
    "line": "1 Tianfu Ave", "lat": 30.65, "lon": 104.07}},
    "lines": [{{"sku": "PX-1", "qty": 1, "unit_price": "1999.00"}}],
    "currency": "CNY", "payment": "prepaid"}}'"""


def example_order(api: str, token_in_shell: str) -> str:
    """A ``curl`` that posts a new demo order: a fresh external id on every call.

    ``token_in_shell`` is how the shell finds the demo shop's key (``$(cat FILE)``), so the
    command works again after a restart and prints no secret.
    """
    # The order is idempotent on its external id: "demo-1" again would answer the old order.
    external_id = f"demo-{secrets.token_hex(4)}"
    return EXAMPLE_ORDER.format(api=api, token=token_in_shell, external_id=external_id)


async def seed(runtime: Runtime) -> None:
    """Write the demo catalog, dealers and stock (replacing any earlier demo data)."""
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        for sku, product in PRODUCTS.items():
            await put_product(uow, sku, product)
        for dealer_id, dealer in DEALERS.items():
            await put_dealer(uow, runtime.redis, dealer_id, dealer)
    for dealer_id, counts in STOCK.items():
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            await apply_report(uow, runtime.redis, dealer_id, counts, source="import")
    await _promotion(runtime)


async def _promotion(runtime: Runtime) -> None:
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        query = select(Promotion.id).where(col(Promotion.name) == PROMOTION["name"])
        if (await uow.session.exec(query)).first() is not None:
            return
        now = runtime.clock.now()
        fields = PROMOTION | {"starts_at": now, "ends_at": now + timedelta(days=7)}
        zone = ZoneInfo(runtime.settings.hq_timezone)
        body = PromotionBody.model_validate(fields, context=validation_context(zone))
        await create_promotion(uow, body, actor="demo")


DEMO_SHOP = "demo-mall-shop"


async def shop_key(runtime: Runtime) -> Path:
    """The file holding the demo shop's API key (scope ``shop``, channel ``mall``): made
    once and kept in the data dir (mode 0600), so the demo posts orders as a shop would,
    with a key that can do nothing else, and never with the admin token."""
    path = runtime.settings.data_dir / kept_secrets.DEMO_SHOP_KEY_FILE
    token = kept_secrets.read_secret(path)
    active = {
        view.id for view in await list_keys(runtime.db)
        if view.name == DEMO_SHOP and view.state(runtime.clock.now()) == "active"
    }  # fmt: skip
    if token is not None and token[3:15] in active:
        return path
    _, token = await create_key(
        runtime.db, runtime.clock, name=DEMO_SHOP, scopes=["shop"], channel="mall",
        created_by="demo",
    )  # fmt: skip
    path.unlink(missing_ok=True)
    kept_secrets.keep_new(path, token)
    return path
