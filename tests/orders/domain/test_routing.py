"""The routing pipeline: exclusions with reasons, ranking, modes, and its properties."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from services.orders.domain.facts import (
    DEFAULT_RULES,
    Candidate,
    Channel,
    FactLine,
    OrderFacts,
    RoutingConfig,
)
from services.orders.domain.routing import Choice, Exclusion, check_config, route
from services.orders.domain.rules import short_skus
from services.orders.domain.status import Fulfilment

from .support import ALL, ORDER, WAREHOUSE, dealer, online_only, order

CONFIG = RoutingConfig()


def ids(chosen: Sequence[Choice]) -> list[str]:
    return [c.dealer_id for c in chosen]


def test_excluded_dealers_are_named_with_the_rule_and_reason() -> None:
    candidates = [
        dealer("D1"),
        dealer("D2", paused=True),
        dealer("D3", distance_km=50.0),
        dealer("D4", capabilities=frozenset({"pickup"})),
        dealer("D5", available={"SKU1": 2}),
        dealer("D6", daily_capacity=3, load_today=3),
        dealer("D7", recently_declined_this_order=True),
    ]
    decision = route(ORDER, candidates, CONFIG)
    assert ids(decision.chosen) == ["D1"]
    assert decision.excluded == {
        "D2": Exclusion("paused", "paused"),
        "D3": Exclusion("radius", "out_of_radius"),
        "D4": Exclusion("capability", "missing_capability:delivery"),
        "D5": Exclusion("stock", "no_stock:SKU2"),
        "D6": Exclusion("capacity", "over_capacity"),
        "D7": Exclusion("already_tried", "already_tried"),
    }


def test_the_first_filter_in_pipeline_order_names_the_reason() -> None:
    both = dealer("D1", paused=True, distance_km=50.0)
    assert route(ORDER, [both], CONFIG).excluded["D1"].rule == "paused"
    radius_first = RoutingConfig(rules=("radius", "paused"))
    assert route(ORDER, [both], radius_first).excluded["D1"].reason == "out_of_radius"


def test_a_rule_left_out_of_the_pipeline_does_not_apply() -> None:
    decision = route(ORDER, [dealer(paused=True)], RoutingConfig(rules=("radius",)))
    assert ids(decision.chosen) == ["D1"] and not decision.excluded


def test_the_best_score_goes_first() -> None:
    near, far = dealer("near", distance_km=1.0), dealer("far", distance_km=10.0)
    slow = dealer("slow", distance_km=1.0, median_response_s=36000, acceptance_rate=0.1)
    decision = route(ORDER, [far, slow, near], CONFIG)
    assert ids(decision.chosen) == ["near", "far", "slow"]
    assert decision.targets == ("near",)


def test_exclusive_regions_get_first_refusal() -> None:
    holder = dealer("holder", distance_km=18.0, exclusive_regions=frozenset({"sichuan"}))
    decision = route(ORDER, [dealer("A"), holder, dealer("B")], CONFIG)
    assert ids(decision.chosen)[0] == "holder"
    assert decision.chosen[0].tiers == {"exclusive_first": 0}
    grab = route(ORDER, [dealer("A"), holder, dealer("B")], RoutingConfig(grab_mode=True))
    assert grab.targets == ("holder",), "a first refusal is not shared in grab mode"


def test_the_warehouse_is_ranked_last_unless_a_rule_sends_the_order_there() -> None:
    best_warehouse = replace(WAREHOUSE, distance_km=0.0, capabilities=frozenset({"delivery"}))
    decision = route(ORDER, [best_warehouse, dealer("D1", distance_km=19.0)], CONFIG)
    assert ids(decision.chosen) == ["D1", "WH"]
    to_warehouse = route(online_only(), [WAREHOUSE, dealer("D1")], CONFIG)
    assert to_warehouse.targets == ("WH",)
    assert to_warehouse.excluded["D1"] == Exclusion("channel", "online_only_ships_from_warehouse")


def test_the_order_size_rule_routes_small_orders_to_the_warehouse() -> None:
    config = RoutingConfig(order_size_rule=True, min_amount_for_dealers=100000)
    small = route(ORDER, [dealer("D1"), WAREHOUSE], config)
    assert small.targets == ("WH",)
    assert small.excluded["D1"].reason == "order_size_to_warehouse"
    large = route(order(amount_minor=100000), [dealer("D1"), WAREHOUSE], config)
    assert large.targets == ("D1",)
    assert large.excluded["WH"].reason == "order_size_to_dealers"


def test_prefer_stock_ranks_full_stock_first_when_stock_is_not_a_filter() -> None:
    config = RoutingConfig(rules=("paused", "prefer_stock"))
    short = dealer("short", distance_km=0.5, available={"SKU1": 1})
    decision = route(ORDER, [short, dealer("full", distance_km=10.0)], config)
    assert ids(decision.chosen) == ["full", "short"]


def test_grab_mode_offers_the_top_k() -> None:
    candidates = [dealer(f"D{i}", distance_km=float(i)) for i in range(1, 6)] + [WAREHOUSE]
    decision = route(ORDER, candidates, RoutingConfig(grab_mode=True, grab_k=3))
    assert decision.mode == "grab" and decision.targets == ("D1", "D2", "D3")
    assert route(ORDER, candidates, CONFIG).targets == ("D1",)


def test_nobody_left_or_attempts_used_up_means_wait_for_hq() -> None:
    assert route(ORDER, [dealer(paused=True)], CONFIG).targets == ()
    assert route(ORDER, [], CONFIG).targets == ()
    spent = route(ORDER, [dealer()], RoutingConfig(max_attempts=2), attempts_made=2)
    assert spent.exhausted and spent.targets == () and ids(spent.chosen) == ["D1"]
    assert not route(ORDER, [dealer()], RoutingConfig(max_attempts=2), attempts_made=1).exhausted


@pytest.mark.parametrize(
    ("rules", "why"),
    [
        (("paused", "teleport"), "unknown routing rules \\['teleport'\\]"),
        (("paused",) * 2, "twice"),
    ],
)
def test_the_pipeline_names_are_checked(rules: tuple[str, ...], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_config(RoutingConfig(rules=rules))
    with pytest.raises(ValueError, match=why):
        route(ORDER, [dealer()], RoutingConfig(rules=rules))


def test_a_dealer_is_a_candidate_once() -> None:
    with pytest.raises(ValueError, match="once"):
        route(ORDER, [dealer("D1"), dealer("D1")], CONFIG)


def test_the_decision_is_plain_json_that_explains_itself() -> None:
    candidates = [dealer("D1"), dealer("D2", paused=True), WAREHOUSE]
    data = route(ORDER, candidates, RoutingConfig(grab_mode=True, grab_k=2)).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["mode"] == "grab" and data["k"] == 2 and data["targets"] == ["D1"]
    assert data["rules"] == list(DEFAULT_RULES)
    assert data["excluded"] == {"D2": {"rule": "paused", "reason": "paused"}}
    first = data["chosen"][0]
    assert first["rank"] == 1 and first["dealer_id"] == "D1" and not first["is_warehouse"]
    assert set(first["components"]) == {"distance", "acceptance", "response", "load"}
    assert first["tiers"] == {"exclusive_first": 1} and 0 < first["score"] <= 1
    assert [c["dealer_id"] for c in data["chosen"]] == ["D1", "WH"]


# -- properties -------------------------------------------------------------------------

SKUS = ["SKU1", "SKU2", "SKU3"]
PLENTY = dict.fromkeys(SKUS, 12)
lines = st.lists(
    st.builds(
        FactLine,
        st.sampled_from(SKUS),
        st.integers(1, 4),
        st.sampled_from([Channel.BOTH] * 12 + [Channel.ONLINE_ONLY]),
    ),
    min_size=1,
    max_size=3,
)
facts_strategy = st.builds(
    OrderFacts,
    order_id=st.text(min_size=1, max_size=8),
    region=st.sampled_from(["sichuan", "beijing"]),
    city=st.just("x"),
    lat=st.just(30.0),
    lon=st.just(104.0),
    fulfilment=st.sampled_from(list(Fulfilment)),
    needs_installation=st.booleans(),
    lines=lines.map(tuple),
    amount_minor=st.integers(0, 10**7),
)


def rarely() -> st.SearchStrategy[bool]:
    return st.sampled_from([False, False, False, False, True])


@st.composite
def candidate_lists(draw: st.DrawFn) -> list[Candidate]:
    count = draw(st.integers(0, 8))
    out = []
    for i in range(count):
        out.append(
            Candidate(
                dealer_id=f"D{i}",
                is_warehouse=i == 0 and draw(st.booleans()),
                distance_km=draw(st.floats(0, 30)),
                service_radius_km=draw(st.sampled_from([5.0, 30.0, 50.0, float("inf")])),
                capabilities=draw(
                    st.sampled_from([ALL, ALL, ALL, frozenset({"pickup"}), frozenset()])
                ),
                paused=draw(rarely()),
                daily_capacity=draw(st.none() | st.integers(0, 40)),
                load_today=draw(st.integers(0, 20)),
                open_offers=draw(st.integers(0, 5)),
                exclusive_regions=frozenset(draw(st.sets(st.sampled_from(["sichuan", "x"])))),
                available=draw(
                    st.just(PLENTY) | st.dictionaries(st.sampled_from(SKUS), st.integers(0, 12))
                ),
                acceptance_rate=draw(st.none() | st.floats(0, 1)),
                median_response_s=draw(st.none() | st.floats(0, 10_000)),
                recently_declined_this_order=draw(rarely()),
            )
        )
    return out


configs = st.builds(
    RoutingConfig,
    rules=st.permutations(DEFAULT_RULES).map(tuple),
    order_size_rule=st.booleans(),
    min_qty_for_dealers=st.integers(1, 6),
    grab_mode=st.booleans(),
    grab_k=st.integers(1, 4),
)


@settings(max_examples=100)
@given(facts_strategy, candidate_lists(), configs)
def test_the_decision_partitions_the_candidates_and_never_picks_the_unfit(
    facts: OrderFacts, candidates: list[Candidate], config: RoutingConfig
) -> None:
    decision = route(facts, candidates, config)
    chosen = ids(decision.chosen)
    everyone = [c.dealer_id for c in candidates]
    assert sorted(chosen + list(decision.excluded)) == sorted(everyone)
    assert not set(chosen) & set(decision.excluded)
    by_id = {c.dealer_id: c for c in candidates}
    for dealer_id in chosen:
        c = by_id[dealer_id]
        assert not c.paused and c.distance_km <= c.service_radius_km
        assert facts.capabilities <= c.capabilities and not short_skus(facts, c)
        assert not c.recently_declined_this_order
        if any(line.channel is Channel.ONLINE_ONLY for line in facts.lines):
            assert c.is_warehouse
    warehouse_at = [i for i, c in enumerate(decision.chosen) if c.is_warehouse]
    assert all(i == len(chosen) - 1 for i in warehouse_at), "the warehouse ranks last"
    for a, b in zip(decision.chosen, decision.chosen[1:], strict=False):
        assert a.group < b.group or (a.group == b.group and a.score.total >= b.score.total)
    assert set(decision.targets) <= set(chosen) and len(decision.targets) <= config.grab_k
    event(f"chosen: {min(len(chosen), 3)}")


@settings(max_examples=60)
@given(facts_strategy, candidate_lists(), configs, st.data())
def test_the_ranking_is_deterministic_and_ignores_input_order(
    facts: OrderFacts, candidates: list[Candidate], config: RoutingConfig, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(candidates))
    first = route(facts, candidates, config)
    assert route(facts, shuffled, config) == first
    assert route(facts, candidates, config).to_dict() == first.to_dict()


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 5), st.text(max_size=5))
def test_equal_dealers_share_the_orders(count: int, prefix: str) -> None:
    twins = [dealer(f"twin-{i}") for i in range(count)]
    orders = 600
    wins = Counter(
        route(order(order_id=f"{prefix}{n}"), twins, CONFIG).targets[0] for n in range(orders)
    )
    fair = orders / count
    assert set(wins) == {t.dealer_id for t in twins}
    assert all(fair * 0.6 <= won <= fair * 1.4 for won in wins.values()), wins
