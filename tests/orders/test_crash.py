"""An orders replica killed with SIGKILL between reserving stock and offering the order."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from services.orders.service import serve_orders
from services.stock.service import serve_stock
from shared.clock import FakeClock
from shared.messages.orders import AcceptOffer, ConfirmDelivery
from shared.runtime import Runtime, delivery_loops, running
from tests.bus.support import eventually
from tests.conftest import ApiClient
from tests.orders.conftest import NEAR_BODY, Flow, dealer_actor, order

ROOT = Path(__file__).resolve().parents[2]


async def test_sigkill_between_reserve_and_offer_still_completes_the_order(
    api: ApiClient, runtime: Runtime, clock: FakeClock, redis_url: str, database_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    # The killed worker runs on the real clock, so this process does too: the offer's deadline
    # is set when the order is taken here and checked when the worker offers it.
    runtime.settings = runtime.settings.model_copy(update={"claim_idle_ms": 300})
    flow = Flow(api, runtime, clock)
    marker = tmp_path / "in-handler"
    async with serve_stock(runtime), running(*delivery_loops(runtime)):
        await flow.setup({"near": NEAR_BODY}, {"near": 3})
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.orders.worker", redis_url, database_url, str(marker),
            cwd=ROOT,
        )  # fmt: skip
        try:
            placed = await flow.place(order("K-1", fulfilment="delivery"))
            await eventually(marker.exists, timeout=30)
            worker.send_signal(signal.SIGKILL)
            assert await worker.wait() == -signal.SIGKILL
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        assert (await flow.get(placed["id"]))["status"] == "received"
        assert (await flow.stock("near"))["reserved"] == 1  # reserved, not yet offered

        async with serve_orders(runtime):  # a surviving replica takes the message over
            view = await flow.until(placed["id"], "offered")
            offer = flow.open_offer(view)
            await flow.send(AcceptOffer(offer_id=offer["id"], actor=dealer_actor("near")))
            await flow.until(placed["id"], "accepted")
            await flow.send(ConfirmDelivery(order_id=placed["id"], actor=dealer_actor("near")))
            done = await flow.until(placed["id"], "completed")
            await flow.until_stock("near", on_hand=2, reserved=0)
    assert [o["state"] for o in done["offers"]] == ["accepted"]
