"""A candidate's record for ranking, counted in SQL over the last 30 days."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

from services.orders.dispatch import RESPONSE_SAMPLE, _dealer_stats
from services.orders.models import OfferRow
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work


async def test_counts_rates_and_the_median_of_recent_answers(
    db: Database, clock: FakeClock
) -> None:
    now = clock.advance(hours=12)  # midday: "today" has twelve hours behind it
    rows: list[OfferRow] = []

    def offer(dealer: str, state: str, age: timedelta, response_s: float | None) -> None:
        created = now - age
        answered = created + timedelta(seconds=response_s) if response_s is not None else None
        rows.append(
            OfferRow(
                id=f"of_{len(rows)}", order_id=f"o_{len(rows)}", dealer_id=dealer, attempt=1,
                state=state, request_id=f"r_{len(rows)}", distance_km=1.0,
                deadline=created + timedelta(minutes=10), created_at=created,
                offered_at=created, answered_at=answered,
            )
        )  # fmt: skip

    # "busy": 60 answers, the latest 50 taking 1..50 s, ten older ones very slow.
    for n in range(RESPONSE_SAMPLE):
        offer("busy", "accepted", timedelta(hours=1, minutes=n), float(n + 1))
    for n in range(10):
        offer("busy", "declined", timedelta(days=2, minutes=n), 9_000.0)
    offer("busy", "offered", timedelta(minutes=1), None)
    offer("busy", "reserving", timedelta(minutes=1), None)
    offer("busy", "accepted", timedelta(days=40), 1.0)  # outside the window
    # "new": one expiry and one acceptance yesterday.
    offer("new", "expired", timedelta(days=1), 600.0)
    offer("new", "accepted", timedelta(days=1, hours=1), 30.0)
    async with unit_of_work(db, clock) as uow:
        uow.session.add_all(rows)
    async with unit_of_work(db, clock) as uow:
        stats = await _dealer_stats(uow.session, uow.clock.now(), ["busy", "new", "idle"])

    busy, new = stats["busy"], stats["new"]
    assert (busy.open, busy.answered, busy.accepted, busy.accepted_today) == (2, 60, 50, 50)
    assert busy.acceptance_rate == 50 / 60
    assert busy.median_response_s == median(float(n + 1) for n in range(RESPONSE_SAMPLE))
    assert (new.open, new.answered, new.accepted, new.accepted_today) == (0, 2, 1, 0)
    assert new.median_response_s == 315.0
    assert "idle" not in stats
