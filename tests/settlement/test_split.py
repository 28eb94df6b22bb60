"""The split calculator: the formula, the rounding, the configuration, and returns."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.settlement.split import (
    Sale,
    largest_remainder,
    reversal,
    split_line,
    split_sale,
    taken_back,
    totals,
)
from services.settlement.split_rules import (
    ConfigError,
    SplitConfig,
    SplitRule,
    parse_provider_commission,
    parse_split_rules,
)
from shared.messages.orders import SaleLine

DEFAULT = SplitConfig()


def line(
    unit: int = 199900,
    list_price: int = 199900,
    wholesale: int = 150000,
    qty: int = 1,
    funded_by: str | None = None,
    sku: str = "PX-1",
    category: str = "phones",
) -> SaleLine:
    return SaleLine(
        sku=sku, category=category, qty=qty, unit_price=unit, list_price=list_price,
        wholesale_price=wholesale, funded_by=funded_by,
    )  # fmt: skip


def sale(*lines: SaleLine, fulfil: str = "B", origin: str | None = "A", **extra: object) -> Sale:
    return Sale(
        order_id="o1", channel="mall", currency="CNY", payment="prepaid",
        fulfilling_dealer_id=fulfil, originating_dealer_id=origin, lines=lines or (line(),),
        **extra,
    )  # fmt: skip


def shares(config: SplitConfig = DEFAULT, **kw: object) -> dict[tuple[str, str | None], int]:
    s = sale(**kw)
    return {
        (share, dealer): amount
        for (share, dealer, _), amount in totals(split_sale(s, config)).items()
    }


# -- the articles' example and the formula's cases --------------------------------------------


def test_the_default_split_of_the_articles_example() -> None:
    # Phone X: the customer pays list, 1999.00; wholesale 1500.00; margin 499.00.
    assert shares() == {
        ("fulfilment", "B"): 150000 + 34930,  # W + 70% of M
        ("referral", "A"): 4990,  # 10% of M
        ("hq", None): 9980,  # the rest
    }


def test_without_an_originating_dealer_the_referral_share_is_hqs() -> None:
    assert shares(origin=None) == {("fulfilment", "B"): 184930, ("hq", None): 14970}


def test_the_same_dealer_gets_both_shares() -> None:
    got = shares(origin="B")
    assert got[("fulfilment", "B")] == 184930 and got[("referral", "B")] == 4990


def test_hqs_warehouse_fulfilling_leaves_that_share_to_hq() -> None:
    assert shares(fulfilled_by_hq=True) == {("referral", "A"): 4990, ("hq", None): 194910}


def test_an_hq_funded_discount_is_hqs_cost_not_the_dealers() -> None:
    # List 1999.00, sold at 1799.00 under an HQ promotion: M = 1799 + 200 − 1500 = 499.
    s = sale(line(unit=179900, funded_by="hq"))
    parts = {(p.share, p.dealer_id): p.amount for p in split_line(s, s.lines[0], DEFAULT).parts}
    assert parts[("fulfilment", "B")] == 184930 and parts[("referral", "A")] == 4990
    assert parts[("promotion", None)] == -20000
    assert parts[("hq", None)] == 179900 - 184930 - 4990 + 20000


def test_a_dealer_funded_or_unpromoted_discount_comes_off_the_margin() -> None:
    for funded_by in ("dealer", None):
        s = sale(line(unit=179900, funded_by=funded_by))
        parts = {(p.share, p.dealer_id): p.amount for p in split_line(s, s.lines[0], DEFAULT).parts}
        assert parts[("fulfilment", "B")] == 150000 + 20930  # M = 299.00
        assert ("promotion", None) not in parts


def test_a_shared_discount_is_half_hqs() -> None:
    s = sale(line(unit=179900, funded_by="shared"))
    parts = {(p.share, p.dealer_id): p.amount for p in split_line(s, s.lines[0], DEFAULT).parts}
    assert parts[("promotion", None)] == -10000
    assert parts[("fulfilment", "B")] == 150000 + 27930  # M = 1799 + 100 − 1500 = 399


def test_a_negative_margin_leaves_the_dealers_whole_and_hq_bears_it() -> None:
    s = sale(line(unit=140000, list_price=199900, wholesale=150000))
    parts = {(p.share, p.dealer_id): p.amount for p in split_line(s, s.lines[0], DEFAULT).parts}
    assert parts[("fulfilment", "B")] == 150000  # the goods at wholesale, no margin
    assert parts[("referral", "A")] == 0
    assert parts[("hq", None)] == -10000


def test_the_providers_commission_is_a_percent_of_what_was_paid() -> None:
    config = SplitConfig(provider_pct={"mall": Fraction(5)})
    got = shares(config)
    assert got[("provider", None)] == 9995
    assert sum(got.values()) == 199900


# -- configuration ------------------------------------------------------------------------------


def test_the_most_specific_rule_wins_field_by_field() -> None:
    config = SplitConfig(
        rules=(
            SplitRule(channel="mall", fulfilment_pct=Fraction(60), referral_pct=Fraction(15)),
            SplitRule(category="phones", fulfilment_pct=Fraction(65)),
            SplitRule(dealer="B", fulfilment_pct=Fraction(80)),
            SplitRule(channel="mall", category="phones", dealer="A", referral_pct=Fraction(20)),
        )
    )
    assert config.fulfilment_pct("mall", "phones", "B") == 80  # dealer beats category
    assert config.fulfilment_pct("mall", "phones", "C") == 65  # category beats channel
    assert config.fulfilment_pct("mall", "tvs", "C") == 60  # channel
    assert config.fulfilment_pct("shop", "tvs", "C") == 70  # the default
    assert config.referral_pct("mall", "phones", "A") == 20  # dealer rule for the originator
    assert config.referral_pct("mall", "phones", "B") == 15  # falls back to the channel rule
    assert config.referral_pct("shop", "phones", None) == 10


def test_rules_and_commissions_are_read_and_refused_clearly() -> None:
    rules = parse_split_rules(
        '[{"channel": "tmall", "fulfilment_pct": 65, "referral_pct": "12.5"}]'
    )
    assert rules == (SplitRule("tmall", None, None, Fraction(65), Fraction(25, 2)),)
    assert parse_provider_commission(" tmall=5, jd=2.5 ") == {"tmall": 5, "jd": Fraction(5, 2)}
    assert parse_split_rules("") == () and parse_provider_commission("") == {}
    for bad, says in [
        ("{", "not JSON"),
        ('{"channel": "x"}', "list"),
        ('[{"channel": "x"}]', "neither"),
        ('[{"channel": "x", "fulfilment_pct": 101}]', "0 to 100"),
        ('[{"channel": "x", "fulfilment_pct": 95, "referral_pct": 10}]', "over 100"),
        ('[{"chanel": "x", "fulfilment_pct": 5}]', "unknown field"),
        ('[{"channel": "x", "fulfilment_pct": 5}, {"channel": "x", "referral_pct": 5}]', "same"),
        ('[{"channel": "", "fulfilment_pct": 5}]', "non-empty"),
        ('[{"dealer": "d", "fulfilment_pct": true}]', "number"),
    ]:
        with pytest.raises(ConfigError, match=says):
            parse_split_rules(bad)
    for bad in ("tmall", "=5", "tmall=x", "tmall=-1", "a=1,a=2"):
        with pytest.raises(ConfigError):
            parse_provider_commission(bad)


# -- properties -------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10_000_000)
pcts = st.fractions(min_value=0, max_value=100, max_denominator=1000)
fundings = st.sampled_from(["hq", "dealer", "shared", None])


@st.composite
def sale_lines(draw: st.DrawFn, sku: str) -> SaleLine:
    list_price = draw(amounts)
    return SaleLine(
        sku=sku, category=draw(st.sampled_from(["phones", "tvs"])),
        qty=draw(st.integers(min_value=1, max_value=50)),
        unit_price=draw(st.integers(min_value=0, max_value=list_price + 1000)),
        list_price=list_price, wholesale_price=draw(amounts), funded_by=draw(fundings),
    )  # fmt: skip


@st.composite
def configs(draw: st.DrawFn) -> SplitConfig:
    f = draw(pcts)
    r = draw(st.fractions(min_value=0, max_value=100 - f, max_denominator=1000))
    rules = (SplitRule(category="tvs", fulfilment_pct=f, referral_pct=r),)
    return SplitConfig(rules=rules, provider_pct={"mall": draw(pcts)})


@st.composite
def sales(draw: st.DrawFn) -> Sale:
    count = draw(st.integers(min_value=1, max_value=4))
    lines = tuple(draw(sale_lines(f"S{i}")) for i in range(count))
    origin = draw(st.sampled_from(["A", "B", None]))
    return sale(*lines, origin=origin, fulfilled_by_hq=draw(st.booleans()))


@settings(max_examples=400, deadline=None)
@given(sales(), configs())
def test_any_split_adds_up_exactly_and_no_dealer_share_is_negative(
    s: Sale, config: SplitConfig
) -> None:
    splits = split_sale(s, config)
    for ln, got in zip(s.lines, splits, strict=True):
        assert sum(p.amount for p in got.parts) == ln.unit_price * ln.qty == got.paid
        for part in got.parts:
            if part.share in ("fulfilment", "referral", "provider"):
                assert part.amount >= 0
        fulfilment = [p.amount for p in got.parts if p.share == "fulfilment"]
        if fulfilment:  # the dealer is never paid less than the goods' wholesale value
            assert fulfilment[0] >= ln.wholesale_price * ln.qty
    assert sum(totals(splits).values()) == s.paid


@given(
    st.lists(
        st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=997),
        min_size=1,
        max_size=8,
    )
)
def test_largest_remainder_keeps_the_total_and_stays_within_a_unit(exact: list[Fraction]) -> None:
    shift = Fraction(-sum(exact, Fraction(0)) % 1)  # make the exact shares add up to an integer
    exact[0] += shift
    total = int(sum(exact, Fraction(0)))
    parts = largest_remainder(total, exact)
    assert sum(parts) == total
    assert all(abs(part - x) < 1 for part, x in zip(parts, exact, strict=True))


@settings(max_examples=300, deadline=None)
@given(sales(), configs(), st.data())
def test_returning_every_unit_in_any_steps_reverses_exactly_what_was_posted(
    s: Sale, config: SplitConfig, data: st.DataObject
) -> None:
    for ln, got in zip(s.lines, split_sale(s, config), strict=True):
        posted = {p.key: p.amount for p in got.parts}
        left, before = ln.qty, 0
        taken: dict[object, int] = dict.fromkeys(posted, 0)
        while left:
            step = data.draw(st.integers(min_value=1, max_value=left))
            back = reversal(posted, ("hq", None, None), ln.unit_price, ln.qty, before, step)
            assert sum(back.values()) == ln.unit_price * step  # exactly the refund
            for key, amount in back.items():
                if key[0] in ("fulfilment", "referral", "provider"):
                    assert amount >= 0  # a return never pays a dealer more
                    assert taken.get(key, 0) + amount <= posted[key]
                taken[key] = taken.get(key, 0) + amount
            before, left = before + step, left - step
        assert {k: v for k, v in taken.items() if v or k in posted} == posted


def test_taken_back_rounds_towards_zero_and_is_exact_at_the_end() -> None:
    assert [taken_back(10, 3, k) for k in range(4)] == [0, 3, 6, 10]
    assert [taken_back(-10, 3, k) for k in range(4)] == [0, -3, -6, -10]
    with pytest.raises(ValueError):
        taken_back(10, 3, 4)
    with pytest.raises(ValueError):
        reversal({"a": 5}, "hq", 5, 1, 0, 2)
