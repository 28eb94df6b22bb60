"""Money: exact parsing and formatting, and splits that add up to the minor unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import MAX_MINOR, MoneyError, format_amount, parse_amount, split


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("199.00", "CNY", 19900), ("199", "CNY", 19900), ("0.5", "CNY", 50), ("1200", "JPY", 1200)],
)
def test_amounts_parse_to_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "why"),
    [
        ("1.999", "CNY", "more than 2 decimals"),
        ("-1.00", "CNY", "not an amount"),
        ("1e3", "CNY", "not an amount"),
        ("", "CNY", "not an amount"),
        ("01.00", "CNY", "not an amount"),
        ("1.5", "JPY", "more than 0 decimals"),
        ("1.00", "XXX", "unknown currency"),
    ],
)
def test_bad_amounts_say_what_is_wrong(text: str, currency: str, why: str) -> None:
    with pytest.raises(MoneyError, match=why):
        parse_amount(text, currency)


@given(st.integers(min_value=0, max_value=MAX_MINOR), st.sampled_from(["CNY", "JPY", "USD"]))
def test_format_and_parse_round_trip(minor: int, currency: str) -> None:
    assert parse_amount(format_amount(minor, currency), currency) == minor


@pytest.mark.parametrize("currency", ["CNY", "JPY"])
def test_an_amount_over_the_bound_is_refused(currency: str) -> None:
    most = format_amount(MAX_MINOR, currency)
    assert parse_amount(most, currency) == MAX_MINOR
    with pytest.raises(MoneyError, match=f"more than Baton takes \\({most}\\)"):
        parse_amount(format_amount(MAX_MINOR + 1, currency), currency)


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8).filter(any),
)
def test_a_split_adds_up_exactly_and_is_fair(total: int, weights: list[int]) -> None:
    parts = split(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / weight_sum) < 1


def test_largest_remainder_gives_leftover_units_to_the_largest_remainders() -> None:
    assert split(100, [1, 1, 1]) == [34, 33, 33]
    assert split(10, [7, 2, 1]) == [7, 2, 1]
    assert split(1, [70, 10, 20]) == [1, 0, 0]
    assert split(-100, [1, 1, 1]) == [-33, -33, -34]
