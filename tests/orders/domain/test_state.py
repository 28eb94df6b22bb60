"""The order state machine: every (status, action) pair, each guard, and random walks."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.orders.domain.order import IllegalTransition, Order, OrderLine
from services.orders.domain.status import ACTIONS, Fulfilment, OrderStatus, why_not

S = OrderStatus
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(minutes=10)
LINES = (OrderLine("SKU1", 2, 19900), OrderLine("SKU2", 1, 5000))


def new_order(fulfilment: Fulfilment = Fulfilment.PICKUP) -> Order:
    return Order.receive("o1", fulfilment, LINES, T0, "shop", external_id="E1")


# -- situations: an order brought to each status by legal steps -------------------------


def offered(f: Fulfilment) -> Order:
    order = new_order(f)
    order.offer("D1", "of-1", DEADLINE, T0, "router")
    return order


def offered_grab(f: Fulfilment) -> Order:
    order = new_order(f)
    order.broadcast(["D1", "D2"], "of-1", DEADLINE, T0, "router")
    return order


def received_again(f: Fulfilment) -> Order:
    order = offered(f)
    order.decline("D1", "of-1", T0, "dealer:D1")
    return order


def waiting(f: Fulfilment) -> Order:
    order = received_again(f)
    order.wait_for_hq(T0, "router")
    return order


def accepted(f: Fulfilment) -> Order:
    order = offered(f)
    order.accept("D1", "of-1", T0, "dealer:D1")
    return order


def ready(f: Fulfilment) -> Order:
    order = accepted(f)
    order.ready_for_pickup("D1", T0, "dealer:D1")
    return order


def out(f: Fulfilment) -> Order:
    order = accepted(f)
    order.out_for_delivery("D1", T0, "dealer:D1")
    return order


def completed(f: Fulfilment) -> Order:
    order = ready(f) if f is Fulfilment.PICKUP else out(f)
    order.complete("D1", T0, "staff:D1")
    return order


def cancelled(f: Fulfilment) -> Order:
    order = new_order(f)
    order.cancel("customer asked", T0, "shop")
    return order


def returned(f: Fulfilment) -> Order:
    order = completed(f)
    order.return_lines({"SKU1": 2, "SKU2": 1}, T0, "shop")
    return order


def rejected(f: Fulfilment) -> Order:
    order = new_order(f)
    order.reject(["below floor price"], T0, "intake")
    return order


SITUATIONS: dict[str, Callable[[Fulfilment], Order]] = {
    "received": new_order,
    "received_again": received_again,
    "waiting_for_hq": waiting,
    "offered": offered,
    "offered_grab": offered_grab,
    "accepted": accepted,
    "ready_for_pickup": ready,
    "out_for_delivery": out,
    "completed": completed,
    "cancelled": cancelled,
    "returned": returned,
    "rejected": rejected,
}
REACHABLE = {
    Fulfilment.PICKUP: [s for s in SITUATIONS if s != "out_for_delivery"],
    Fulfilment.DELIVERY: [s for s in SITUATIONS if s != "ready_for_pickup"],
}


# -- each action with arguments that fit the order, so only the status can refuse ------


def _offer_id(o: Order) -> str:
    return o.current_offer.offer_id if o.current_offer else "of-1"


def _dealer(o: Order) -> str:
    if o.current_offer:
        return o.current_offer.dealer_ids[0]
    return o.fulfilling_dealer_id or "D1"


LATER = T0 + timedelta(minutes=1)
CALLS: dict[str, Callable[[Order], None]] = {
    "offer": lambda o: o.offer("D9", "of-9", LATER + timedelta(minutes=10), LATER, "router"),
    "broadcast": lambda o: o.broadcast(["D8", "D9"], "of-9", DEADLINE, LATER, "router"),
    "accept": lambda o: o.accept(_dealer(o), _offer_id(o), LATER, "dealer"),
    "taken": lambda o: o.taken(_dealer(o), _offer_id(o), LATER, "dealer"),
    "decline": lambda o: o.decline(_dealer(o), _offer_id(o), LATER, "dealer"),
    "expire": lambda o: o.expire(_offer_id(o), DEADLINE, "timer"),
    "ready_for_pickup": lambda o: o.ready_for_pickup(_dealer(o), LATER, "dealer"),
    "out_for_delivery": lambda o: o.out_for_delivery(_dealer(o), LATER, "dealer"),
    "complete": lambda o: o.complete(_dealer(o), LATER, "staff"),
    "cancel": lambda o: o.cancel("customer asked", LATER, "shop"),
    "return_all": lambda o: o.return_lines({"SKU1": 2, "SKU2": 1}, LATER, "shop"),
    "return_some": lambda o: o.return_lines({"SKU1": 1}, LATER, "shop"),
    "reject": lambda o: o.reject(["below floor price"], LATER, "intake"),
    "wait_for_hq": lambda o: o.wait_for_hq(LATER, "router"),
}
ACTION_OF = {name: name for name in CALLS} | {
    "return_all": "return_lines",
    "return_some": "return_lines",
}

P, D = Fulfilment.PICKUP, Fulfilment.DELIVERY
BOTH = (P, D)
# (situation, call) → (status after, fulfilments it is legal for). Anything else is refused.
LEGAL: dict[tuple[str, str], tuple[OrderStatus, tuple[Fulfilment, ...]]] = {
    ("received", "offer"): (S.OFFERED, BOTH),
    ("received", "broadcast"): (S.OFFERED, BOTH),
    ("received", "cancel"): (S.CANCELLED, BOTH),
    ("received", "reject"): (S.REJECTED, BOTH),
    ("received", "wait_for_hq"): (S.WAITING_FOR_HQ, BOTH),
    ("received_again", "offer"): (S.OFFERED, BOTH),
    ("received_again", "broadcast"): (S.OFFERED, BOTH),
    ("received_again", "cancel"): (S.CANCELLED, BOTH),
    ("received_again", "wait_for_hq"): (S.WAITING_FOR_HQ, BOTH),
    ("waiting_for_hq", "offer"): (S.OFFERED, BOTH),
    ("waiting_for_hq", "broadcast"): (S.OFFERED, BOTH),
    ("waiting_for_hq", "cancel"): (S.CANCELLED, BOTH),
    ("offered", "accept"): (S.ACCEPTED, BOTH),
    ("offered", "decline"): (S.RECEIVED, BOTH),
    ("offered", "expire"): (S.RECEIVED, BOTH),
    ("offered", "cancel"): (S.CANCELLED, BOTH),
    ("offered_grab", "taken"): (S.ACCEPTED, BOTH),
    ("offered_grab", "decline"): (S.OFFERED, BOTH),  # D2 is still on the offer
    ("offered_grab", "expire"): (S.RECEIVED, BOTH),
    ("offered_grab", "cancel"): (S.CANCELLED, BOTH),
    ("accepted", "ready_for_pickup"): (S.READY_FOR_PICKUP, (P,)),
    ("accepted", "out_for_delivery"): (S.OUT_FOR_DELIVERY, (D,)),
    ("accepted", "complete"): (S.COMPLETED, (D,)),
    ("accepted", "cancel"): (S.CANCELLED, BOTH),
    ("ready_for_pickup", "complete"): (S.COMPLETED, (P,)),
    ("ready_for_pickup", "cancel"): (S.CANCELLED, (P,)),
    ("out_for_delivery", "complete"): (S.COMPLETED, (D,)),
    ("out_for_delivery", "cancel"): (S.CANCELLED, (D,)),
    ("completed", "return_all"): (S.RETURNED, BOTH),
    ("completed", "return_some"): (S.COMPLETED, BOTH),
}

CASES = [(f, situation, call) for f in BOTH for situation in REACHABLE[f] for call in CALLS]


@pytest.mark.parametrize(("fulfilment", "situation", "call"), CASES)
def test_every_status_and_action(fulfilment: Fulfilment, situation: str, call: str) -> None:
    order = SITUATIONS[situation](fulfilment)
    before = copy.deepcopy(order)
    legal = LEGAL.get((situation, call))
    allowed = ACTION_OF[call] in order.allowed_actions()
    if legal is not None and fulfilment in legal[1]:
        CALLS[call](order)
        assert order.status is legal[0]
        assert len(order.timeline) == len(before.timeline) + 1
        assert order.timeline[-1].at == LATER or call == "expire"
        assert allowed
    else:
        with pytest.raises(IllegalTransition) as refused:
            CALLS[call](order)
        assert str(refused.value).startswith(f"{before.status}: cannot {ACTION_OF[call]}: ")
        assert refused.value.why
        assert order == before, "a refused action changes nothing"
        assert not allowed


def test_the_table_covers_every_action_and_status() -> None:
    assert {ACTION_OF[c] for c in CALLS} == set(ACTIONS)
    assert {SITUATIONS[s](P).status for s in REACHABLE[P]} | {S.OUT_FOR_DELIVERY} == set(S)


def test_final_statuses_say_they_are_final() -> None:
    for situation in ("cancelled", "returned", "rejected"):
        order = SITUATIONS[situation](P)
        assert order.allowed_actions() == []
        with pytest.raises(IllegalTransition, match="which is final"):
            order.cancel("again", LATER, "shop")


def test_why_not_refuses_an_unknown_action() -> None:
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        why_not("fly", S.RECEIVED, P)


# -- offers -----------------------------------------------------------------------------


def test_an_offer_is_recorded_with_its_deadline_and_attempt() -> None:
    order = offered(P)
    assert order.attempts == 1 and order.tried == ["D1"]
    entry = order.timeline[-1]
    assert entry.step == "offered" and entry.actor == "router" and entry.at == T0
    assert entry.detail == {
        "offer_id": "of-1",
        "dealer_ids": ["D1"],
        "deadline": DEADLINE.isoformat(),
        "mode": "sequential",
        "attempt": 1,
    }


def test_an_offered_order_is_not_offered_again_until_the_offer_ends() -> None:
    order = offered(P)
    with pytest.raises(IllegalTransition, match=r"^offered: cannot offer: .*returns it first"):
        order.offer("D2", "of-2", DEADLINE, T0, "router")


def test_a_declined_order_is_received_and_offered_to_the_next_dealer() -> None:
    order = received_again(P)
    assert order.status is S.RECEIVED and order.current_offer is None
    order.offer("D2", "of-2", DEADLINE, LATER, "router")
    assert order.attempts == 2 and order.tried == ["D1", "D2"]
    assert [e.step for e in order.timeline] == ["received", "offered", "declined", "offered"]


def test_the_deadline_must_be_in_the_future() -> None:
    order = new_order()
    with pytest.raises(IllegalTransition, match="not in the future"):
        order.offer("D1", "of-1", T0, T0, "router")
    with pytest.raises(IllegalTransition, match="different dealers"):
        order.broadcast(["D1", "D1"], "of-1", DEADLINE, T0, "router")
    with pytest.raises(IllegalTransition, match="different dealers"):
        order.broadcast([], "of-1", DEADLINE, T0, "router")
    assert order == new_order()


@pytest.mark.parametrize(
    ("dealer", "offer_id", "at", "why"),
    [
        ("D2", "of-1", T0, "dealer D2 was not offered this order"),
        ("D1", "of-0", T0, "of-0 is not this order's current offer"),
        ("D1", "of-1", DEADLINE + timedelta(seconds=1), "the offer expired at"),
    ],
)
def test_only_the_offered_dealer_accepts_the_current_offer_in_time(
    dealer: str, offer_id: str, at: datetime, why: str
) -> None:
    order = offered(P)
    with pytest.raises(IllegalTransition, match=why):
        order.accept(dealer, offer_id, at, "dealer")
    assert order.status is S.OFFERED


def test_accepting_at_the_deadline_still_counts() -> None:
    order = offered(P)
    order.accept("D1", "of-1", DEADLINE, "dealer:D1")
    assert order.status is S.ACCEPTED and order.fulfilling_dealer_id == "D1"


def test_a_grab_offer_is_taken_by_the_first_dealer() -> None:
    order = offered_grab(D)
    with pytest.raises(IllegalTransition, match="the first one takes it"):
        order.accept("D1", "of-1", T0, "dealer")
    order.taken("D2", "of-1", T0, "dealer:D2")
    assert order.fulfilling_dealer_id == "D2" and order.timeline[-1].step == "taken"
    with pytest.raises(IllegalTransition, match=r"^accepted: cannot taken"):
        order.taken("D1", "of-1", T0, "dealer:D1")


def test_a_sequential_offer_is_not_taken() -> None:
    with pytest.raises(IllegalTransition, match="who accepts it"):
        offered(P).taken("D1", "of-1", T0, "dealer")


def test_a_grab_offer_returns_once_every_dealer_declined() -> None:
    order = offered_grab(P)
    order.decline("D1", "of-1", T0, "dealer:D1", reason="closed")
    assert order.status is S.OFFERED and order.current_offer is not None
    assert order.current_offer.waiting_on == ("D2",)
    with pytest.raises(IllegalTransition, match="D1 already declined"):
        order.taken("D1", "of-1", T0, "dealer:D1")
    with pytest.raises(IllegalTransition, match="D1 already declined"):
        order.decline("D1", "of-1", T0, "dealer:D1")
    order.decline("D2", "of-1", T0, "dealer:D2")
    assert order.status is S.RECEIVED
    assert [e.detail["remaining"] for e in order.timeline if e.step == "declined"] == [1, 0]


def test_expiry_needs_the_deadline_and_the_current_offer() -> None:
    order = offered_grab(P)
    order.decline("D1", "of-1", T0, "dealer:D1")
    with pytest.raises(IllegalTransition, match="the offer runs until"):
        order.expire("of-1", DEADLINE - timedelta(seconds=1), "timer")
    order.offer_expired("of-1", DEADLINE, "timer")
    assert order.status is S.RECEIVED
    assert order.timeline[-1].detail == {"offer_id": "of-1", "dealer_ids": ["D2"]}
    order.offer("D3", "of-2", DEADLINE + timedelta(minutes=10), DEADLINE, "router")
    with pytest.raises(IllegalTransition, match="of-1 is not this order's current offer"):
        order.expire("of-1", DEADLINE + timedelta(hours=1), "timer")


def test_offer_declined_is_decline() -> None:
    order = offered(P)
    order.offer_declined("D1", "of-1", T0, "dealer:D1")
    assert order.status is S.RECEIVED


def test_an_order_no_dealer_can_take_says_it_waits_for_hq_until_offered() -> None:
    order = received_again(D)
    order.wait_for_hq(LATER, "router", reason="nobody in range")
    assert order.status is S.WAITING_FOR_HQ and order.waiting_for_hq
    assert order.timeline[-1].step == "waiting_for_hq"
    assert order.timeline[-1].detail == {"reason": "nobody in range"}
    with pytest.raises(IllegalTransition, match="once: HQ is alerted then"):
        order.wait_for_hq(LATER, "router")
    order.offer("WH", "of-2", DEADLINE, LATER, "hq:ops")
    assert order.status is S.OFFERED and not order.waiting_for_hq


# -- handover ---------------------------------------------------------------------------


def test_a_pickup_is_ready_then_completed_with_the_code() -> None:
    order = accepted(P)
    with pytest.raises(IllegalTransition, match="from ready_for_pickup, with the customer's code"):
        order.complete("D1", T0, "staff")
    order.ready_for_pickup("D1", T0, "dealer:D1")
    order.complete("D1", LATER, "staff:D1")
    assert order.status is S.COMPLETED
    assert order.timeline[-1].detail == {
        "dealer_id": "D1",
        "was": "ready_for_pickup",
        "proof": "pickup_code",
    }


def test_a_pickup_with_the_right_code_from_accepted_records_the_implied_ready_step() -> None:
    order = accepted(P)
    order.pick_up("D1", LATER, "staff:D1")
    assert order.status is S.COMPLETED
    ready_step, handover = order.timeline[-2:]
    assert (ready_step.step, ready_step.at, ready_step.detail) == (
        "ready_for_pickup", LATER, {"dealer_id": "D1", "was": "accepted", "implied": True},
    )  # fmt: skip
    assert (handover.step, handover.detail["was"]) == ("completed", "ready_for_pickup")
    already_ready = ready(P)
    already_ready.pick_up("D1", LATER, "staff:D1")
    assert [e.step for e in already_ready.timeline][-2:] == ["ready_for_pickup", "completed"]
    assert "implied" not in already_ready.timeline[-2].detail


@pytest.mark.parametrize("situation", ["offered", "accepted_by_another", "completed", "delivery"])
def test_a_pick_up_that_is_refused_changes_nothing(situation: str) -> None:
    order, dealer = {
        "offered": (offered(P), "D1"), "accepted_by_another": (accepted(P), "D2"),
        "completed": (completed(P), "D1"), "delivery": (accepted(D), "D1"),
    }[situation]  # fmt: skip
    before = copy.deepcopy(order)
    with pytest.raises(IllegalTransition):
        order.pick_up(dealer, LATER, "staff")
    assert order == before


@pytest.mark.parametrize("via_out", [True, False])
def test_a_delivery_completes_from_accepted_or_out_for_delivery(via_out: bool) -> None:
    order = out(D) if via_out else accepted(D)
    order.complete("D1", LATER, "dealer:D1")
    assert order.timeline[-1].detail["proof"] == "delivery_confirmed"
    assert order.timeline[-1].detail["was"] == ("out_for_delivery" if via_out else "accepted")


def test_a_delivery_is_never_ready_for_pickup_and_a_pickup_never_out() -> None:
    with pytest.raises(IllegalTransition, match="use out_for_delivery"):
        accepted(D).ready_for_pickup("D1", T0, "dealer")
    with pytest.raises(IllegalTransition, match="use ready_for_pickup"):
        accepted(P).out_for_delivery("D1", T0, "dealer")


@pytest.mark.parametrize("step", ["ready_for_pickup", "out_for_delivery", "complete"])
def test_only_the_fulfilling_dealer_moves_the_order(step: str) -> None:
    order = {"ready_for_pickup": accepted(P), "out_for_delivery": accepted(D)}.get(step, ready(P))
    with pytest.raises(IllegalTransition, match="dealer D2 does not fulfil this order"):
        getattr(order, step)("D2", T0, "staff:D2")
    assert order.fulfilling_dealer_id == "D1"


# -- endings ----------------------------------------------------------------------------


def test_cancel_names_the_dealers_to_release() -> None:
    grab = offered_grab(P)
    grab.decline("D1", "of-1", T0, "dealer:D1")
    grab.cancel("out of stock", LATER, "hq")
    assert grab.timeline[-1].detail == {
        "reason": "out of stock",
        "was": "offered",
        "dealer_ids": ["D2"],
    }
    held = accepted(D)
    held.cancel("customer asked", LATER, "shop")
    assert held.timeline[-1].detail["dealer_ids"] == ["D1"]
    fresh = new_order()
    fresh.cancel("duplicate", LATER, "shop")
    assert fresh.timeline[-1].detail["dealer_ids"] == []


def test_cancel_needs_a_reason() -> None:
    with pytest.raises(IllegalTransition, match="give a reason"):
        new_order().cancel("  ", T0, "shop")


def test_completed_orders_are_returned_not_cancelled() -> None:
    with pytest.raises(IllegalTransition, match="return its lines instead"):
        completed(P).cancel("changed mind", LATER, "shop")


def test_partial_returns_add_up_to_a_returned_order() -> None:
    order = completed(D)
    order.return_lines({"SKU1": 1}, LATER, "shop")
    assert order.status is S.COMPLETED and order.returnable() == {"SKU1": 1, "SKU2": 1}
    assert order.timeline[-1].step == "partially_returned"
    order.return_lines({"SKU1": 1, "SKU2": 1}, LATER, "shop")
    assert order.status is S.RETURNED and order.returned == {"SKU1": 2, "SKU2": 1}
    assert order.timeline[-1].detail == {
        "lines": {"SKU1": 1, "SKU2": 1},
        "returned": {"SKU1": 2, "SKU2": 1},
    }


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        ({}, "name at least one line"),
        ({"SKU9": 1}, "SKU9 is not in this order"),
        ({"SKU1": 3}, "between 1 and 2 can still be returned"),
        ({"SKU1": 0}, "between 1 and 2"),
        ({"SKU2": 1, "SKU1": -1}, "between 1 and 2"),
    ],
)
def test_bad_returns_are_refused_whole(lines: dict[str, int], why: str) -> None:
    order = completed(P)
    before = copy.deepcopy(order)
    with pytest.raises(IllegalTransition, match=why):
        order.return_lines(lines, LATER, "shop")
    assert order == before


def test_reject_is_only_at_intake_and_needs_reasons() -> None:
    with pytest.raises(IllegalTransition, match="give at least one reason"):
        new_order().reject([], T0, "intake")
    with pytest.raises(IllegalTransition, match="already offered to dealers; cancel it"):
        received_again(P).reject(["late"], T0, "intake")
    order = new_order()
    order.reject(["lines[0].unit_price: below the floor price 199.00"], T0, "intake")
    assert order.timeline[-1].detail == {
        "reasons": ["lines[0].unit_price: below the floor price 199.00"]
    }


# -- time, construction, serialisation ---------------------------------------------------


def test_times_are_stored_in_utc_and_naive_times_are_refused() -> None:
    order = new_order()
    beijing = datetime(2026, 3, 1, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    order.wait_for_hq(beijing, "router")
    assert order.timeline[-1].at == T0 and order.timeline[-1].at.tzinfo is UTC
    with pytest.raises(ValueError, match="no time zone"):
        order.cancel("x", datetime(2026, 3, 1), "shop")
    with pytest.raises(ValueError, match="no time zone"):
        order.offer("D1", "of-1", datetime(2026, 3, 2), T0, "router")
    assert order.status is S.WAITING_FOR_HQ and order.attempts == 0


def test_the_received_entry_carries_the_intake_detail() -> None:
    entry = new_order().timeline[0]
    assert (entry.step, entry.actor, entry.detail) == ("received", "shop", {"external_id": "E1"})


@pytest.mark.parametrize(
    "lines",
    [(), (OrderLine("A", 1), OrderLine("A", 2)), (OrderLine("A", 0),)],
)
def test_an_order_needs_distinct_positive_lines(lines: tuple[OrderLine, ...]) -> None:
    with pytest.raises(ValueError, match="one per SKU"):
        Order("o1", P, lines)


def test_an_order_loaded_with_plain_strings_works_like_any_other() -> None:
    order = Order("o1", "delivery", LINES, status="accepted", fulfilling_dealer_id="D1")
    assert order.status is S.ACCEPTED and order.fulfilment is D
    order.complete("D1", T0, "dealer:D1")
    assert order.status is S.COMPLETED
    with pytest.raises(ValueError, match="'lost' is not a valid OrderStatus"):
        Order("o1", P, LINES, status="lost")


def test_the_timeline_is_plain_json() -> None:
    order = completed(D)
    order.return_lines({"SKU2": 1}, LATER, "shop")
    data = [entry.to_dict() for entry in order.timeline]
    assert json.loads(json.dumps(data)) == data
    assert data[0]["at"] == "2026-03-01T09:00:00+00:00"


# -- random walks: whatever is tried, the order stays consistent --------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(sorted(CALLS)),
        st.sampled_from(["D1", "D2", "D9"]),
        st.sampled_from(["of-1", "of-9"]),
        st.integers(0, 20),
    ),
    max_size=25,
)


def act(order: Order, call: str, dealer: str, offer_id: str, at: datetime) -> None:
    deadline = at + timedelta(minutes=10)
    others = [dealer, "D2"] if dealer != "D2" else [dealer]
    if call == "offer":
        order.offer(dealer, offer_id, deadline, at, "r")
    elif call == "broadcast":
        order.broadcast(others, offer_id, deadline, at, "r")
    elif call in {"accept", "taken", "decline"}:
        getattr(order, call)(dealer, offer_id, at, "d")
    elif call == "expire":
        order.expire(offer_id, at, "t")
    elif call in {"ready_for_pickup", "out_for_delivery", "complete"}:
        getattr(order, call)(dealer, at, "d")
    elif call == "return_all":
        order.return_lines(order.returnable(), at, "s")
    else:
        CALLS[call](order)


@settings(max_examples=200)
@given(st.sampled_from(BOTH), STEPS)
def test_random_walks_keep_the_order_consistent(
    fulfilment: Fulfilment, steps: list[tuple[str, str, str, int]]
) -> None:
    order = new_order(fulfilment)
    for call, dealer, offer_id, minutes in steps:
        before = copy.deepcopy(order)
        try:
            act(order, call, dealer, offer_id, T0 + timedelta(minutes=minutes))
        except IllegalTransition:
            assert order == before
        else:
            assert len(order.timeline) == len(before.timeline) + 1
        assert (order.status is S.OFFERED) == (order.current_offer is not None)
        holds = {S.ACCEPTED, S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.COMPLETED, S.RETURNED}
        if order.status is not S.CANCELLED:
            assert (order.fulfilling_dealer_id is not None) == (order.status in holds)
        assert order.attempts == sum(e.step == "offered" for e in order.timeline)
        assert all(left >= 0 for left in order.returnable().values())
