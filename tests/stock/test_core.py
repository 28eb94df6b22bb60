"""The pure stock core: every legal move, every illegal one refused, the invariants kept."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.stock import core
from services.stock.core import EXPIRED, REPORTED_SHORT, Level, Reservation, State, StockError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SKUS = ("A", "B", "C")


def make(levels: dict[str, Level], rid: str, lines: list[tuple[str, int]], at: datetime = T0):
    return core.reserve(
        levels, request_id=rid, order_id=f"o-{rid}", dealer_id="d", lines=lines,
        expires_at=at + timedelta(minutes=5), now=at,
    )  # fmt: skip


def check_invariants(levels: dict[str, Level], reservations: dict[str, Reservation]) -> None:
    for sku, level in levels.items():
        held = sum(
            line.qty
            for r in reservations.values()
            if r.state is State.HELD
            for line in r.lines
            if line.sku == sku
        )
        assert level.on_hand >= 0
        assert 0 <= level.reserved <= level.on_hand
        assert level.reserved == held, f"{sku}: reserved {level.reserved}, promised {held}"


def test_reserve_takes_every_line_or_none() -> None:
    levels = {"A": Level(3), "B": Level(1)}
    refused = make(levels, "r1", [("A", 2), ("B", 2), ("C", 1)])
    assert refused.state is State.REFUSED
    assert refused.short == ("B", "C")
    assert levels == {"A": Level(3), "B": Level(1)}
    held = make(levels, "r2", [("A", 1), ("A", 1), ("B", 1)])
    assert held.state is State.HELD
    assert held.lines == (core.Line("A", 2), core.Line("B", 1))
    assert (levels["A"].reserved, levels["B"].reserved) == (2, 1)


def test_a_repeated_reserve_returns_the_same_reservation_and_reserves_nothing_more() -> None:
    levels = {"A": Level(5)}
    first = make(levels, "r1", [("A", 2)])
    again = core.reserve(
        levels, request_id="r1", order_id="o-r1", dealer_id="d", lines=[("A", 2)],
        expires_at=None, now=T0 + timedelta(hours=1), existing=first,
    )  # fmt: skip
    assert again is first
    assert levels["A"].reserved == 2


def test_a_request_id_reused_for_another_request_is_refused() -> None:
    levels = {"A": Level(5)}
    first = make(levels, "r1", [("A", 2)])
    with pytest.raises(StockError, match="different"):
        core.reserve(
            levels, request_id="r1", order_id="o-r1", dealer_id="d", lines=[("A", 3)],
            expires_at=None, now=T0, existing=first,
        )  # fmt: skip


def test_commit_takes_units_off_hand_once() -> None:
    levels = {"A": Level(5)}
    r = make(levels, "r1", [("A", 2)])
    assert core.commit(levels, r, T0)
    assert levels["A"] == Level(3, 0)
    assert not core.commit(levels, r, T0)
    assert levels["A"] == Level(3, 0)


@pytest.mark.parametrize("end", ["release", "refuse"])
def test_illegal_moves_raise_and_change_nothing(end: str) -> None:
    levels = {"A": Level(1)}
    r = make(levels, "r1", [("A", 1 if end == "release" else 2)])
    if end == "release":
        core.release(levels, r, "declined", T0)
    before = (copy.deepcopy(levels), copy.deepcopy(r))
    with pytest.raises(StockError):
        core.commit(levels, r, T0)
    if end == "refuse":
        with pytest.raises(StockError):
            core.hold(levels, r, None)
    else:  # a hold after a decline's release is stale (see the next tests): a no-op
        assert not core.hold(levels, r, None)
    assert (levels, r) == before


def test_a_committed_reservation_cannot_be_released_but_a_late_expiry_is_ignored() -> None:
    levels = {"A": Level(2)}
    r = make(levels, "r1", [("A", 1)])
    core.commit(levels, r, T0)
    with pytest.raises(StockError, match="handed over"):
        core.release(levels, r, "cancelled", T0)
    assert not core.release(levels, r, EXPIRED, T0 + timedelta(hours=1))
    assert r.state is State.COMMITTED
    assert not core.hold(levels, r, None)  # a late hold after handover does nothing


def test_a_hold_that_lands_after_a_cancel_is_stale_and_changes_nothing() -> None:
    """Replicas apply messages out of order: the accept's hold after the cancel's release."""
    levels = {"A": Level(2)}
    r = make(levels, "r1", [("A", 1)])
    assert core.release(levels, r, "cancelled", T0)
    assert not core.hold(levels, r, None)
    assert (r.state, levels["A"].reserved) == (State.RELEASED, 0)


def test_a_hold_after_the_safety_net_expiry_takes_the_units_again_if_they_are_there() -> None:
    levels = {"A": Level(2)}
    r = make(levels, "r1", [("A", 2)])
    assert core.release(levels, r, EXPIRED, T0 + timedelta(minutes=5))
    assert core.hold(levels, r, None)
    assert (r.state, r.reason, r.expires_at, levels["A"].reserved) == (State.HELD, None, None, 2)
    check_invariants(levels, {"r1": r})


def test_a_hold_after_the_expiry_fails_when_another_order_has_the_units() -> None:
    levels = {"A": Level(1)}
    r = make(levels, "r1", [("A", 1)])
    assert core.release(levels, r, EXPIRED, T0 + timedelta(minutes=5))
    other = make(levels, "r2", [("A", 1)])
    before = (copy.deepcopy(levels), copy.deepcopy(r))
    with pytest.raises(StockError, match="went to other orders"):
        core.hold(levels, r, None)
    assert (levels, r) == before
    check_invariants(levels, {"r1": r, "r2": other})


def test_an_expiry_is_ignored_before_its_time_and_after_a_hold() -> None:
    levels = {"A": Level(2)}
    r = make(levels, "r1", [("A", 1)])
    assert not core.release(levels, r, EXPIRED, T0 + timedelta(minutes=4))
    core.hold(levels, r, None)
    assert not core.release(levels, r, EXPIRED, T0 + timedelta(days=1))
    assert levels["A"].reserved == 1
    core.hold(levels, r, T0 + timedelta(minutes=10))
    assert core.release(levels, r, EXPIRED, T0 + timedelta(minutes=10))
    assert (r.state, r.reason, levels["A"].reserved) == (State.RELEASED, EXPIRED, 0)
    assert not core.release(levels, r, "declined", T0)


def test_a_count_below_reserved_releases_the_newest_reservations_that_no_longer_fit() -> None:
    levels = {"A": Level(5), "B": Level(1)}
    rs = {
        "old": make(levels, "old", [("A", 2)], T0),
        "mid": make(levels, "mid", [("A", 2), ("B", 1)], T0 + timedelta(seconds=1)),
        "new": make(levels, "new", [("A", 1)], T0 + timedelta(seconds=2)),
    }
    released = core.report(levels, rs.values(), {"A": 3}, T0 + timedelta(seconds=3))
    assert [r.request_id for r in released] == ["new", "mid"]
    assert {r.reason for r in released} == {REPORTED_SHORT}
    assert levels["A"] == Level(3, 2, T0 + timedelta(seconds=3))
    assert levels["B"].reserved == 0  # the released reservation's other SKU is freed too
    check_invariants(levels, rs)


def test_a_count_keeps_reservations_that_still_fit_and_a_decline_zeroes() -> None:
    levels = {"A": Level(5)}
    r = make(levels, "r1", [("A", 2)])
    assert core.report(levels, [r], {"A": 2, "B": 7}, T0) == []
    assert levels["A"] == Level(2, 2, T0) and levels["B"] == Level(7, 0, T0)
    assert core.report(levels, [r], {"A": 0}, T0) == [r]
    assert levels["A"] == Level(0, 0, T0)


def test_a_count_with_reservations_missing_from_its_input_is_refused() -> None:
    levels = {"A": Level(5)}
    make(levels, "r1", [("A", 4)])
    with pytest.raises(StockError, match="belong to no reservation"):
        core.report(levels, [], {"A": 1}, T0)
    assert levels["A"] == Level(5, 4)


def test_restock_adds_on_hand() -> None:
    levels: dict[str, Level] = {"A": Level(1, 1)}
    core.restock(levels, [("A", 2), ("B", 1), ("A", 1)])
    assert levels == {"A": Level(4, 1), "B": Level(1)}
    with pytest.raises(StockError):
        core.restock(levels, [("A", 0)])


# -- any sequence of moves keeps the invariants -------------------------------------------

rids = st.sampled_from([f"r{i}" for i in range(6)])
lines = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3)
moves = st.one_of(
    st.tuples(st.just("reserve"), rids, lines, st.integers(1, 30)),
    st.tuples(st.just("hold"), rids, st.one_of(st.none(), st.integers(1, 60))),
    st.tuples(st.just("commit"), rids),
    st.tuples(st.just("release"), rids, st.sampled_from(["declined", EXPIRED])),
    st.tuples(st.just("report"), st.dictionaries(st.sampled_from(SKUS), st.integers(0, 8))),
    st.tuples(st.just("restock"), lines),
    st.tuples(st.just("wait"), st.integers(1, 20)),
)


@given(st.lists(moves, max_size=40))
@settings(max_examples=400, deadline=None)
def test_any_sequence_of_moves_keeps_the_invariants(steps: list[tuple]) -> None:
    levels: dict[str, Level] = {}
    reservations: dict[str, Reservation] = {}
    now = T0
    for step in steps:
        before = copy.deepcopy((levels, reservations))
        kind, *args = step
        try:
            changed = apply(kind, args, levels, reservations, now)
        except StockError:
            assert (levels, reservations) == before, f"{kind} raised after changing state"
            continue
        if kind == "wait":
            now += timedelta(minutes=args[0])
        check_invariants(levels, reservations)
        if changed and kind in ("commit", "release", "reserve"):
            # Applying the same command again is a no-op.
            again = copy.deepcopy((levels, reservations))
            apply(kind, args, levels, reservations, now)
            assert (levels, reservations) == again, f"a repeated {kind} changed state"


def apply(
    kind: str,
    args: list,
    levels: dict[str, Level],
    reservations: dict[str, Reservation],
    now: datetime,
) -> bool:
    if kind == "reserve":
        rid, wanted, minutes = args
        existing = reservations.get(rid)
        reservations[rid] = core.reserve(
            levels, request_id=rid, order_id="o", dealer_id="d", lines=wanted,
            expires_at=now + timedelta(minutes=minutes), now=now, existing=existing,
        )  # fmt: skip
        return existing is None
    if kind == "report":
        (counts,) = args
        core.report(levels, list(reservations.values()), counts, now)
        return True
    if kind == "restock":
        core.restock(levels, args[0])
        return True
    if kind == "wait":
        return False
    r = reservations.get(args[0])
    if r is None:
        return False
    if kind == "hold":
        minutes = args[1]
        return core.hold(levels, r, None if minutes is None else now + timedelta(minutes=minutes))
    if kind == "commit":
        return core.commit(levels, r, now)
    return core.release(levels, r, args[1], now)
