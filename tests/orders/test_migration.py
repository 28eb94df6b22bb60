"""Migration 0009: orders stored while waiting for HQ was a flag get the status itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from shared.db.migrate import upgrade_sync

NOV_11 = datetime(2026, 11, 11)


def test_an_order_stored_with_the_old_flag_gets_the_waiting_for_hq_status(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_sync(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", "0008")
    engine = sa.create_engine(url)
    orders = sa.Table("orders", sa.MetaData(), autoload_with=engine)
    base = {
        "channel": "tmall", "fingerprint": "f", "customer_id": "c", "amount": 100,
        "currency": "CNY", "intake": {}, "pickup_failures": 0,
        "created_at": NOV_11, "updated_at": NOV_11,
    }  # fmt: skip
    with engine.begin() as connection:
        for order_id, flag in (("o-wait", True), ("o-new", False)):
            aggregate = {"id": order_id, "status": "received", "waiting_for_hq": flag}
            connection.execute(
                orders.insert().values(
                    id=order_id, external_id=order_id, status="received", aggregate=aggregate,
                    **base,
                )
            )  # fmt: skip

    upgrade_sync(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")

    with engine.connect() as connection:
        rows = dict(connection.execute(sa.select(orders.c.id, orders.c.aggregate)).all())
        statuses = dict(connection.execute(sa.select(orders.c.id, orders.c.status)).all())
    engine.dispose()
    assert statuses == {"o-wait": "waiting_for_hq", "o-new": "received"}
    assert rows["o-wait"] == {"id": "o-wait", "status": "waiting_for_hq"}
    assert rows["o-new"]["status"] == "received"
