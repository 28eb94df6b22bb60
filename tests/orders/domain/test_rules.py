"""Each routing rule on its own, the routing config's checks, and the scorer."""

from __future__ import annotations

import math

import pytest

from services.orders.domain import rules
from services.orders.domain.facts import (
    DEFAULT_RULES,
    FactLine,
    RoutingConfig,
    ScoreWeights,
    haversine_km,
)
from services.orders.domain.scoring import score, tiebreak
from services.orders.domain.status import Fulfilment

from .support import ORDER, WAREHOUSE, dealer, online_only, order

CONFIG = RoutingConfig()
SIZE = RoutingConfig(order_size_rule=True, min_qty_for_dealers=3, min_amount_for_dealers=100000)


def test_paused_dealers_are_excluded() -> None:
    assert rules.paused(ORDER, dealer(paused=True), CONFIG) == "paused"
    assert rules.paused(ORDER, dealer(), CONFIG) is None


def test_online_only_lines_leave_only_the_warehouse() -> None:
    assert rules.channel(online_only(), dealer(), CONFIG) == "online_only_ships_from_warehouse"
    assert rules.channel(online_only(), WAREHOUSE, CONFIG) is None
    assert rules.channel(ORDER, dealer(), CONFIG) is None


def test_the_order_size_rule_is_off_by_default() -> None:
    small = order(lines=(FactLine("SKU1", 1),), amount_minor=100)
    assert rules.order_size(small, dealer(), CONFIG) is None
    assert rules.order_size(small, WAREHOUSE, CONFIG) is None


@pytest.mark.parametrize(
    ("qty", "amount", "large"),
    [(1, 100, False), (2, 99999, False), (3, 100, True), (1, 100000, True), (5, 10**9, True)],
)
def test_large_orders_go_to_dealers_and_small_ones_to_the_warehouse(
    qty: int, amount: int, large: bool
) -> None:
    facts = order(lines=(FactLine("SKU1", qty),), amount_minor=amount)
    assert rules.is_large(facts, SIZE) is large
    dealer_reason = None if large else "order_size_to_warehouse"
    warehouse_reason = "order_size_to_dealers" if large else None
    assert rules.order_size(facts, dealer(), SIZE) == dealer_reason
    assert rules.order_size(facts, WAREHOUSE, SIZE) == warehouse_reason


def test_one_threshold_is_enough_and_online_only_wins_over_order_size() -> None:
    by_qty = RoutingConfig(order_size_rule=True, min_qty_for_dealers=3)
    assert rules.is_large(order(amount_minor=10**12), by_qty) is True  # 3 units
    assert rules.is_large(order(lines=(FactLine("SKU1", 2),)), by_qty) is False
    big_online = online_only()
    assert rules.order_size(big_online, WAREHOUSE, by_qty) is None


@pytest.mark.parametrize(
    ("fulfilment", "install", "has", "reason"),
    [
        (Fulfilment.DELIVERY, False, {"pickup"}, "missing_capability:delivery"),
        (Fulfilment.PICKUP, False, {"delivery"}, "missing_capability:pickup"),
        (Fulfilment.PICKUP, True, {"pickup"}, "missing_capability:installation"),
        (Fulfilment.DELIVERY, True, set(), "missing_capability:delivery,installation"),
        (Fulfilment.DELIVERY, True, {"delivery", "installation"}, None),
        (Fulfilment.PICKUP, False, {"pickup"}, None),
    ],
)
def test_dealers_must_do_what_the_order_needs(
    fulfilment: Fulfilment, install: bool, has: set[str], reason: str | None
) -> None:
    facts = order(fulfilment=fulfilment, needs_installation=install)
    assert rules.capability(facts, dealer(capabilities=frozenset(has)), CONFIG) == reason


@pytest.mark.parametrize(
    ("distance", "radius", "reason"),
    [(20.0, 20.0, None), (20.01, 20.0, "out_of_radius"), (5000.0, math.inf, None)],
)
def test_the_customer_must_be_inside_the_service_radius(
    distance: float, radius: float, reason: str | None
) -> None:
    candidate = dealer(distance_km=distance, service_radius_km=radius)
    assert rules.radius(ORDER, candidate, CONFIG) == reason


@pytest.mark.parametrize(
    ("capacity", "load", "offers", "reason"),
    [
        (None, 500, 50, None),
        (10, 9, 0, None),
        (10, 9, 1, "over_capacity"),
        (10, 10, 0, "over_capacity"),
        (0, 0, 0, "over_capacity"),
    ],
)
def test_daily_capacity_counts_accepted_orders_and_open_offers(
    capacity: int | None, load: int, offers: int, reason: str | None
) -> None:
    candidate = dealer(daily_capacity=capacity, load_today=load, open_offers=offers)
    assert rules.capacity(ORDER, candidate, CONFIG) == reason


def test_a_dealer_that_had_the_order_is_not_asked_again() -> None:
    assert rules.already_tried(ORDER, dealer(recently_declined_this_order=True), CONFIG) == (
        "already_tried"
    )
    assert rules.already_tried(ORDER, dealer(), CONFIG) is None


@pytest.mark.parametrize(
    ("available", "reason"),
    [
        ({"SKU1": 2, "SKU2": 1}, None),
        ({"SKU1": 1, "SKU2": 1}, "no_stock:SKU1"),
        ({"SKU2": 0}, "no_stock:SKU1,SKU2"),
        ({}, "no_stock:SKU1,SKU2"),
    ],
)
def test_every_line_must_be_available(available: dict[str, int], reason: str | None) -> None:
    assert rules.stock(ORDER, dealer(available=available), CONFIG) == reason


def test_lines_of_one_sku_add_up() -> None:
    facts = order(lines=(FactLine("SKU1", 2), FactLine("SKU2", 1), FactLine("SKU1", 2)))
    assert facts.needed == {"SKU1": 4, "SKU2": 1} and facts.total_qty == 5
    assert rules.stock(facts, dealer(available={"SKU1": 3, "SKU2": 1}), CONFIG) == "no_stock:SKU1"


def test_territorial_dealers_stay_in_their_regions() -> None:
    assert rules.territory(ORDER, dealer(), CONFIG) is None
    assert rules.territory(ORDER, dealer(exclusive_regions=frozenset({"sichuan"})), CONFIG) is None
    beijing = dealer(exclusive_regions=frozenset({"beijing"}))
    assert rules.territory(ORDER, beijing, CONFIG) == "outside_exclusive_region"


def test_partitions_give_tiers() -> None:
    holder = dealer(exclusive_regions=frozenset({"sichuan", "chongqing"}))
    assert rules.exclusive_first(ORDER, holder, CONFIG) == 0
    assert rules.exclusive_first(ORDER, dealer(), CONFIG) == 1
    assert rules.prefer_stock(ORDER, dealer(), CONFIG) == 0
    assert rules.prefer_stock(ORDER, dealer(available={"SKU1": 1}), CONFIG) == 1


def test_rule_names_are_known() -> None:
    assert set(DEFAULT_RULES) <= rules.RULES
    assert not set(rules.FILTERS) & set(rules.PARTITIONS)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"grab_k": 0}, "grab_k must be >= 1"),
        ({"max_attempts": 0}, "max_attempts must be >= 1"),
        ({"weights": ScoreWeights(0, 0, 0, 0)}, "not all 0"),
        ({"weights": ScoreWeights(distance=-1)}, "weights must be >= 0"),
        ({"distance_scale_km": 0}, "scales must be > 0"),
        ({"order_size_rule": True}, "needs min_qty_for_dealers or min_amount_for_dealers"),
    ],
)
def test_bad_configs_are_refused(changes: dict[str, object], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        RoutingConfig(**changes)


# -- the scorer -----------------------------------------------------------------------------


def test_each_component_prefers_what_it_should() -> None:
    base = score(dealer(), CONFIG)
    assert score(dealer(distance_km=15.0), CONFIG).distance < base.distance
    assert score(dealer(acceptance_rate=0.9), CONFIG).acceptance > base.acceptance
    assert score(dealer(acceptance_rate=0.2), CONFIG).acceptance < base.acceptance
    assert score(dealer(median_response_s=30), CONFIG).response > base.response
    assert score(dealer(median_response_s=3600), CONFIG).response < base.response
    assert score(dealer(load_today=5), CONFIG).load < base.load
    assert score(dealer(daily_capacity=10, load_today=5), CONFIG).load == 0.5
    assert score(dealer(daily_capacity=10, load_today=50), CONFIG).load == 0.0


def test_scores_are_weighted_means_in_zero_to_one() -> None:
    perfect = dealer(distance_km=0, acceptance_rate=1.0, median_response_s=0)
    assert score(perfect, CONFIG).total == 1.0
    only_distance = RoutingConfig(weights=ScoreWeights(1, 0, 0, 0))
    s = score(dealer(distance_km=10.0), only_distance)
    assert s.total == s.distance == 0.5
    assert score(dealer(acceptance_rate=7.0), CONFIG).acceptance == 1.0
    assert set(s.components()) == {"distance", "acceptance", "response", "load"}


def test_new_dealers_get_the_configured_priors() -> None:
    config = RoutingConfig(new_dealer_acceptance=0.6, unknown_response_score=0.4)
    s = score(dealer(), config)
    assert (s.acceptance, s.response) == (0.6, 0.4)


def test_the_tie_break_is_stable_and_differs_by_order() -> None:
    assert tiebreak("o1", "D1") == tiebreak("o1", "D1")
    assert tiebreak("o1", "D1") != tiebreak("o2", "D1")
    assert tiebreak("o1", "D1") != tiebreak("o1", "D2")
    # Pinned: the same in every process and release (unlike Python's salted hash()).
    assert tiebreak("o1", "D1") == 0x7877AB7F0E040F34


def test_haversine_distance() -> None:
    assert haversine_km(30.66, 104.06, 30.66, 104.06) == 0
    assert 1500 < haversine_km(39.90, 116.40, 30.66, 104.06) < 1560  # Beijing–Chengdu
