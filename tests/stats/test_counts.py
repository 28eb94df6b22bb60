"""The statistics' pure core: what each event adds, and quantiles from a histogram."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.stats.counts import ACCEPT_COLUMNS, NETWORK, Deltas, accept_column, add, quantile
from shared.messages.orders import OfferClosed, OrderStatusChanged

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREATED = datetime(2026, 11, 11, 0, 20, tzinfo=UTC)  # 08:20 in Shanghai


def changed(status: str, previous: str | None, at: datetime) -> OrderStatusChanged:
    return OrderStatusChanged(
        order_id="o_1", external_id="E-1", channel="mall", status=status,
        previous=previous,
        fulfilling_dealer_id="d1", originating_dealer_id=None, at=at, region="sichuan",
        amount_minor=1999_00, currency="CNY", created_at=CREATED,
    )  # fmt: skip


def test_a_status_change_moves_the_order_between_counts_of_its_hour() -> None:
    deltas = Deltas()
    later = CREATED + timedelta(days=3)
    for status, previous in (("received", None), ("offered", "received"), ("returned", "offered")):
        add(deltas, changed(status, previous, later), later, SHANGHAI)
    hour = datetime(2026, 11, 11, 0, tzinfo=UTC)
    counts = {key[2]: value for key, value in deltas.hours.items()}
    assert all(key[0] == hour for key in deltas.hours)  # the hour it came in, not of the change
    assert counts == {"received": [0, 0], "offered": [0, 0], "returned": [1, 1999_00]}
    # Its day is HQ's: 00:20 UTC is 08:20 in Shanghai, the same day; the region kept.
    assert {key for key, value in deltas.days.items() if value[0]} == {
        (date(2026, 11, 11), "mall", "sichuan", "returned", "CNY")
    }
    day = later.astimezone(SHANGHAI).date()
    assert deltas.dealers[("d1", day)]["returns"] == 1
    assert deltas.dealers[(NETWORK, day)]["returns"] == 1


def test_offers_count_on_hqs_day_with_their_outcome_and_answer_time() -> None:
    deltas = Deltas()
    offered = datetime(2026, 11, 11, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    closed = offered + timedelta(seconds=90)  # 00:00:30 the next day there
    for outcome, reason in (("accepted", None), ("declined", "too_busy"), ("declined", None),
                            ("expired", None), ("taken", None)):  # fmt: skip
        event = OfferClosed(
            order_id="o_1", offer_id="f_1", dealer_id="d1", outcome=outcome,
            offered_at=offered, reason=reason,
        )  # fmt: skip
        add(deltas, event, closed, SHANGHAI)
    counts = deltas.dealers[("d1", date(2026, 11, 12))]
    assert counts == {
        "accepted": 1, "accepted_within_120s": 1, "declined_too_busy": 1, "declined_other": 1,
        "expired": 1, "withdrawn": 1,
    }  # fmt: skip
    assert deltas.dealers[(NETWORK, date(2026, 11, 12))] == counts


@pytest.mark.parametrize(
    ("seconds", "column"),
    [(0, "accepted_within_15s"), (15, "accepted_within_15s"), (15.5, "accepted_within_30s"),
     (600, "accepted_within_600s"), (1800.1, "accepted_later")],
)  # fmt: skip
def test_an_acceptance_falls_in_the_bucket_of_its_upper_bound(seconds: float, column: str) -> None:
    assert accept_column(seconds) == column


def test_quantiles_interpolate_inside_a_bucket() -> None:
    counts = [0] * len(ACCEPT_COLUMNS)
    assert quantile(0.5, counts) is None
    counts[ACCEPT_COLUMNS.index("accepted_within_60s")] = 4  # four between 30 s and 60 s
    assert quantile(0.5, counts) == pytest.approx(45.0)
    assert quantile(1.0, counts) == pytest.approx(60.0)
    counts[ACCEPT_COLUMNS.index("accepted_later")] = 4
    assert quantile(0.9, counts) == pytest.approx(1800.0)  # the open bucket: its lower bound
