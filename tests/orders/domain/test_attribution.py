"""Attribution: referral code, else binding, else none; the first fulfilment binds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.orders.domain.attribution import (
    Attribution,
    attribute,
    binding_after_fulfilment,
    normalise_referral_code,
)

OWNERS = {"BJ001": "beijing-1", "CD-7": "chengdu-7"}


def test_a_known_referral_code_wins_over_a_binding() -> None:
    assert attribute("BJ001", "chengdu-7", OWNERS) == Attribution("beijing-1", "referral_code")


def test_codes_are_matched_as_customers_type_them() -> None:
    assert normalise_referral_code(" ｂｊ００１ ") == "BJ001"
    assert attribute("ｂｊ 001", None, OWNERS).originating_dealer_id == "beijing-1"
    assert attribute("cd-7", None, OWNERS).originating_dealer_id == "chengdu-7"


def test_without_a_code_the_binding_counts() -> None:
    assert attribute(None, "chengdu-7", OWNERS) == Attribution("chengdu-7", "binding")
    assert attribute("  ", "chengdu-7", OWNERS) == Attribution("chengdu-7", "binding")


def test_an_unknown_code_is_ignored_but_reported() -> None:
    assert attribute("NOPE", "chengdu-7", OWNERS) == Attribution("chengdu-7", "binding", "NOPE")
    assert attribute("NOPE", None, OWNERS) == Attribution(None, "none", "NOPE")


def test_nobody_without_code_or_binding() -> None:
    assert attribute(None, None, OWNERS) == Attribution(None, "none")
    assert attribute(None, None, {}) == Attribution(None, "none")


def test_the_first_fulfilment_binds_and_the_binding_stays() -> None:
    assert binding_after_fulfilment(None, "chengdu-7") == "chengdu-7"
    assert binding_after_fulfilment("chengdu-7", "beijing-1") == "chengdu-7"


def test_the_warehouse_does_not_bind() -> None:
    assert binding_after_fulfilment(None, "WH", fulfilled_by_warehouse=True) is None
    assert binding_after_fulfilment("chengdu-7", "WH", fulfilled_by_warehouse=True) == "chengdu-7"


@given(st.none() | st.text(max_size=20), st.none() | st.sampled_from(["d1", "d2"]))
def test_attribution_is_total_and_consistent(code: str | None, bound: str | None) -> None:
    result = attribute(code, bound, OWNERS)
    if result.source == "referral_code":
        assert result.originating_dealer_id in OWNERS.values()
        assert result.unknown_referral_code is None
    elif result.source == "binding":
        assert result.originating_dealer_id == bound
    else:
        assert result.originating_dealer_id is None and bound is None
    if result.unknown_referral_code is not None:
        assert result.unknown_referral_code == code
