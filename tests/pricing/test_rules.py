"""The pure pricing rules: floors in force, discounts, the best option, caps (property tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from services.pricing.rules import (
    FloorRule,
    LineIn,
    Terms,
    best_option,
    discount_text,
    floor_in_force,
    percent_of,
    quote_order,
    units_used,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def promo(pid: str, **fields: object) -> Terms:
    base: dict[str, object] = {
        "starts_at": T0 - HOUR, "ends_at": T0 + HOUR, "skus": frozenset({"PX-1"}),
        "percent_bp": 1000,
    }  # fmt: skip
    return Terms(id=pid, **(base | fields))


def line(qty: int = 1, paid: int = 10_000, list_price: int = 10_000, **extra: object) -> LineIn:
    fields: dict[str, object] = {
        "sku": "PX-1", "category": "phones", "qty": qty, "paid": paid,
        "list_price": list_price, "currency": "CNY", "base_floor": 9_000,
    }  # fmt: skip
    return LineIn(**(fields | extra))


terms_strategy = st.builds(
    Terms,
    id=st.text("abcdef", min_size=1, max_size=4),
    starts_at=st.just(T0 - HOUR),
    ends_at=st.just(T0 + HOUR),
    skus=st.just(frozenset({"PX-1"})),
    percent_bp=st.one_of(st.none(), st.integers(1, 10_000)),
    amount_off=st.integers(1, 50_000),
    currency=st.sampled_from(["CNY", "USD"]),
    funded_by=st.sampled_from(["hq", "dealer", "shared"]),
    stackable=st.booleans(),
)


@given(amount=st.integers(0, 10**12), points=st.integers(0, 10_000))
def test_a_percentage_is_rounded_half_up_to_the_minor_unit(amount: int, points: int) -> None:
    exact = Fraction(amount * points, 10_000)
    off = percent_of(amount, points)
    assert 0 <= off <= amount
    assert -Fraction(1, 2) < off - exact <= Fraction(1, 2)


def test_rounding_examples() -> None:
    assert percent_of(999, 1000) == 100  # 99.9 → 100
    assert percent_of(995, 1000) == 100  # 99.5 → 100 (half up)
    assert percent_of(994, 1000) == 99
    assert percent_of(1, 5000) == 1  # 0.5 → 1
    assert percent_of(1, 4999) == 0


@given(list_price=st.integers(0, 10**9), promotions=st.lists(terms_strategy, max_size=6))
def test_the_best_option_is_the_lowest_price_never_below_zero_and_stacks_only_when_allowed(
    list_price: int, promotions: list[Terms]
) -> None:
    promotions = list({p.id: p for p in promotions}.values())  # ids are unique
    best = best_option(list_price, "CNY", promotions)
    discounts = {p.id: p.discount(list_price, "CNY") for p in promotions}
    singles = [max(0, list_price - d) for d in discounts.values() if d is not None]
    stackable = [d for p in promotions if p.stackable and (d := discounts[p.id]) is not None]
    candidates = singles + ([max(0, list_price - sum(stackable))] if len(stackable) > 1 else [])
    if not candidates:
        assert best is None
        return
    assert best is not None
    assert 0 <= best.price <= list_price
    assert best.price == min(candidates)  # best for the customer
    if len(best.parts) > 1:  # no stacking unless every promotion in it says so
        assert all(p.stackable for p, _ in best.parts)
        assert best.price < min(singles)  # a stack is chosen only when it beats every single


@given(list_price=st.integers(0, 10**9), amount=st.integers(1, 10**9))
def test_a_fixed_amount_takes_at_most_the_list_price_and_only_in_its_currency(
    list_price: int, amount: int
) -> None:
    fixed = promo("f", percent_bp=None, amount_off=amount, currency="CNY")
    assert fixed.discount(list_price, "CNY") == min(amount, list_price)
    assert fixed.discount(list_price, "USD") is None
    option = best_option(list_price, "CNY", [fixed])
    assert option is not None and option.price == max(0, list_price - amount)
    percent = promo("p", percent_bp=2500)
    assert percent.discount(list_price, "USD") == percent_of(list_price, 2500)


def test_overlapping_promotions_without_stacking_give_the_single_best() -> None:
    ten, fifteen = promo("a", percent_bp=1000), promo("b", percent_bp=1500)
    best = best_option(10_000, "CNY", [ten, fifteen])
    assert best is not None and (best.price, best.promotion_ids) == (8_500, ("b",))
    stack = [promo("a", percent_bp=1000, stackable=True),
             promo("b", percent_bp=1500, stackable=True, funded_by="dealer")]  # fmt: skip
    best = best_option(10_000, "CNY", stack)
    assert best is not None and (best.price, set(best.promotion_ids)) == (7_500, {"a", "b"})
    assert best.lead.id == "b" and best.funded_by == "shared"  # funders differ
    # A stackable promotion never combines with one that is not.
    mixed = [promo("a", percent_bp=1000, stackable=True), promo("b", percent_bp=1500)]
    best = best_option(10_000, "CNY", mixed)
    assert best is not None and best.promotion_ids == ("b",)
    # Stacked discounts past the list price make it free, not negative.
    big = [promo(p, percent_bp=None, amount_off=8_000, currency="CNY", stackable=True)
           for p in "xy"]  # fmt: skip
    best = best_option(10_000, "CNY", big)
    assert best is not None and best.price == 0


def test_ties_go_to_fewer_promotions_then_the_earlier_start() -> None:
    early = promo("z", percent_bp=1000, starts_at=T0 - 2 * HOUR)
    late = promo("a", percent_bp=1000)
    best = best_option(10_000, "CNY", [late, early])
    assert best is not None and best.promotion_ids == ("z",)
    zero = promo("s", percent_bp=None, amount_off=0, currency="CNY", stackable=True)
    other = promo("t", percent_bp=1000, stackable=True)
    best = best_option(10_000, "CNY", [zero, other])
    assert best is not None and best.promotion_ids == ("t",)


def test_the_window_the_region_and_the_items_decide_what_is_live_and_covers() -> None:
    p = promo("w", regions=frozenset({"sichuan"}), categories=frozenset({"tv"}), skus=frozenset())
    assert p.covers("ANY", "tv", " Sichuan ") and not p.covers("ANY", "tv", "beijing")
    assert not p.covers("PX-1", "phones", "sichuan")
    assert p.live_at(T0 - HOUR) and not p.live_at(T0 + HOUR)  # start in, end out
    ended = promo("e", ended_at=T0)
    assert ended.live_at(T0 - timedelta(seconds=1)) and not ended.live_at(T0)


def test_the_floor_in_force_is_the_newest_sku_rule_then_category_then_the_product() -> None:
    rules = [
        FloorRule(1, "category", "phones", 8_000, "CNY", T0 - HOUR),
        FloorRule(2, "sku", "PX-1", 9_500, "CNY", T0),
        FloorRule(3, "sku", "PX-1", 9_900, "CNY", T0 + HOUR),
        FloorRule(4, "sku", "PX-1", 1, "USD", T0 - HOUR),  # another currency never applies
    ]
    at = floor_in_force
    assert at("PX-1", "phones", "CNY", 7_000, rules, T0 - 2 * HOUR).source == "product"
    assert at("PX-1", "phones", "CNY", 7_000, rules, T0 - HOUR).amount == 8_000
    assert at("PX-1", "phones", "CNY", 7_000, rules, T0).amount == 9_500
    assert at("PX-1", "phones", "CNY", 7_000, rules, T0 + HOUR).amount == 9_900
    assert at("PX-2", "phones", "CNY", 7_000, rules, T0 + HOUR).amount == 8_000
    same_time = [*rules, FloorRule(5, "sku", "PX-1", 9_700, "CNY", T0 + HOUR)]
    floor = at("PX-1", "phones", "CNY", 7_000, same_time, T0 + HOUR)
    assert (floor.amount, floor.rule_id) == (9_700, 5)  # the later version of the same time


@given(
    versions=st.lists(
        st.tuples(st.sampled_from(["sku", "category"]), st.integers(0, 10**6),
                  st.integers(-5, 5)),
        max_size=8,
    ),
    offset=st.integers(-6, 6),
)  # fmt: skip
def test_the_floor_in_force_never_comes_from_the_future(
    versions: list[tuple[str, int, int]], offset: int
) -> None:
    rules = [
        FloorRule(i, scope, "PX-1" if scope == "sku" else "phones", floor, "CNY",
                  T0 + hours * HOUR)
        for i, (scope, floor, hours) in enumerate(versions)
    ]  # fmt: skip
    at = T0 + offset * HOUR
    floor = floor_in_force("PX-1", "phones", "CNY", 123, rules, at)
    started = [r for r in rules if r.effective_at <= at]
    if floor.source == "product":
        assert floor.amount == 123 and not started
    else:
        chosen = next(r for r in rules if r.id == floor.rule_id)
        assert chosen.effective_at <= at
        same_scope = [r for r in started if r.scope == chosen.scope]
        assert (chosen.effective_at, chosen.id) == max((r.effective_at, r.id) for r in same_scope)
        if chosen.scope == "category":
            assert not any(r.scope == "sku" for r in started)


@given(
    list_price=st.integers(1, 10**7),
    floor=st.integers(0, 10**7),
    paid=st.integers(0, 10**7),
    points=st.integers(1, 10_000),
)
def test_a_line_is_taken_at_the_floor_or_the_promotion_price_and_records_what_applied(
    list_price: int, floor: int, paid: int, points: int
) -> None:
    [quote] = quote_order(
        [line(paid=paid, list_price=list_price, base_floor=floor)], [],
        [promo("p", percent_bp=points)], "sichuan", T0,
    )  # fmt: skip
    assert quote.best is not None
    price = list_price - percent_of(list_price, points)
    assert quote.effective_price == price
    assert quote.accepted == (paid >= floor or paid >= price)
    assert (quote.applied is not None) == (price <= paid < list_price)
    record = quote.record()
    assert record["promotion_id"] == ("p" if quote.applied else None)
    assert record["funded_by"] == ("hq" if quote.applied else None)


def test_a_line_outside_the_window_or_the_region_gets_no_promotion() -> None:
    regional = promo("p", regions=frozenset({"sichuan"}))
    [quote] = quote_order([line(paid=9_000)], [], [regional], "beijing", T0)
    assert quote.best is None and quote.applied is None and quote.accepted  # 9000 = floor
    [quote] = quote_order([line(paid=8_999)], [], [regional], "beijing", T0)
    assert not quote.accepted
    [quote] = quote_order([line(paid=9_000)], [], [regional], "sichuan", T0 + HOUR)
    assert quote.best is None


@given(
    cap=st.integers(0, 20),
    sold=st.integers(0, 20),
    orders=st.lists(st.lists(st.integers(1, 6), min_size=1, max_size=3), max_size=12),
    stackable=st.booleans(),
)
def test_a_cap_is_never_exceeded_however_orders_and_lines_fall(
    cap: int, sold: int, orders: list[list[int]], stackable: bool
) -> None:
    sold = min(sold, cap)
    total = sold
    for quantities in orders:
        capped = promo("c", unit_cap=cap, units_sold=total, stackable=stackable)
        other = promo("o", percent_bp=500, stackable=stackable)  # uncapped, smaller
        lines = [line(qty=q, paid=9_000, sku=f"S{i}", category="phones")
                 for i, q in enumerate(quantities)]  # fmt: skip
        capped = Terms(**{**capped.__dict__, "skus": frozenset(ln.sku for ln in lines)})
        other = Terms(**{**other.__dict__, "skus": frozenset(ln.sku for ln in lines)})
        quotes = quote_order(lines, [], [capped, other], "sichuan", T0)
        used = units_used(quotes)
        left = cap - total
        for quote in quotes:  # in line order: each line takes the capped units whole, or none
            if quote.applied is not None and "c" in quote.applied.promotion_ids:
                assert quote.line.qty <= left
                left -= quote.line.qty
            elif quote.line.qty <= left:
                assert quote.best is not None and "c" in quote.best.promotion_ids
        total += used.get("c", 0)
        assert total <= cap


@settings(max_examples=50)
@given(points=st.integers(1, 10_000), amount=st.integers(1, 10**8))
def test_discounts_read_as_people_write_them(points: int, amount: int) -> None:
    text = discount_text(points, None, None)
    assert text.endswith("%") and Fraction(text[:-1]) == Fraction(points, 100)
    assert discount_text(None, amount, "CNY").startswith("¥")
    assert discount_text(1250, None, None) == "12.5%" and discount_text(1000, None, None) == "10%"
    assert discount_text(None, 2000, "CNY") == "¥20.00"
    assert discount_text(None, 2000, "SGD") == "20.00 SGD"
