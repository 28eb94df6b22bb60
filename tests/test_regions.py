"""Region names: one id per provincial-level region, matched in either language and any form."""

from __future__ import annotations

import pytest

from shared.regions import REGIONS, find_region, region_key, region_name


@pytest.mark.parametrize(
    "typed",
    ["sichuan", "Sichuan", "SICHUAN", "四川", "四川省", " Sichuan Province ", "ｓｉｃｈｕａｎ"],
)
def test_every_way_of_writing_a_region_is_the_same_region(typed: str) -> None:
    assert region_key(typed) == "sichuan"
    assert (region_name(typed, "zh"), region_name(typed, "en")) == ("四川", "Sichuan")


def test_full_forms_and_other_spellings() -> None:
    assert region_key("内蒙古自治区") == region_key("inner-mongolia") == "inner_mongolia"
    assert region_key("Inner Mongolia") == region_key("Nei Mongol") == "inner_mongolia"
    assert (
        region_key("广西壮族自治区") == "guangxi" and region_key("新疆维吾尔自治区") == "xinjiang"
    )
    assert region_key("北京市") == "beijing" and region_key("香港特别行政区") == "hong_kong"
    assert region_key("Xizang") == region_key("西藏") == "tibet"
    assert region_key("Shanxi") != region_key("Shaanxi")


def test_an_unknown_region_matches_regardless_of_case_and_is_shown_as_stored() -> None:
    assert find_region("West Sales Area") is None
    assert region_key("West Sales Area") == region_key("west sales  area")
    assert region_name(" West Sales Area ", "zh") == "West Sales Area"


def test_the_table_has_each_provincial_level_region_once() -> None:
    assert len(REGIONS) == 34
    for field in ("id", "zh", "en"):
        names = [region_key(getattr(r, field)) for r in REGIONS]
        assert names == [r.id for r in REGIONS], field
