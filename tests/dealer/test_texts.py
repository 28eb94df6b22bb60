"""Catalogs and parsers: complete in both languages; any text gives a reply, never a crash."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from bots.dealer.parsing import (
    PickupRequest,
    parse_order_ref,
    parse_pickup,
    parse_stock_lines,
)
from shared.chat.i18n import CATALOGS, Problem, render, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogs_have_every_key_with_the_same_placeholders() -> None:
    zh, en = CATALOGS["zh"], CATALOGS["en"]
    assert set(zh) == set(en), f"missing in zh: {set(en) - set(zh)}; in en: {set(zh) - set(en)}"
    for key in en:
        assert placeholders(zh[key]) == placeholders(en[key]), key
        assert zh[key].strip() and en[key].strip(), key


def test_every_problem_a_parser_returns_has_a_text() -> None:
    samples = ["", "PX-1", "PX-1 five", "bad sku! 3", "A 1\nA 2", "\n".join(["A 1"] * 300)]
    for text in samples:
        for problem in parse_stock_lines(text).problems:
            for language in CATALOGS:
                assert t(language, problem.key, **problem.values)


def test_stock_lines_are_read_from_phone_keyboards() -> None:
    report = parse_stock_lines("ＰＸ－１　５\nAC-9: 2\nCASE-1=0")
    assert report.problems == []
    assert report.counts == {"PX-1": 5, "AC-9": 2, "CASE-1": 0}
    bad = parse_stock_lines("PX-1 5\nAC-9 -2")
    assert bad.counts == {}
    assert [p.key for p in bad.problems] == ["stock.negative"]


def test_a_count_below_0_or_too_big_says_so() -> None:
    report = parse_stock_lines("PX-1 -2\nAC-9 ９９９９９９９９９９９\nCASE-1 2.5")
    assert report.problems == [
        Problem("stock.negative", {"line": 1, "qty": "-2"}),
        Problem("stock.too_big", {"line": 2, "qty": "99999999999", "max": "1,000,000"}),
        Problem("stock.bad_qty", {"line": 3, "qty": "2.5"}),
    ]
    assert "below 0" in t("en", "stock.negative", line=1, qty="-2")
    assert "不是整数" not in t("zh", "stock.negative", line=1, qty="-2")


def test_pickup_and_order_refs() -> None:
    assert parse_pickup(["A1B2C3", "１２３４５６"]) == PickupRequest("A1B2C3", "123456")
    assert parse_pickup(["A1B2C3", "123", "456"]) == PickupRequest("A1B2C3", "123456")
    assert parse_pickup(["A1B2C3"]) == Problem("pickup.need_code")
    assert parse_pickup([]) == Problem("pickup.usage")
    assert parse_order_ref(["A1B2C3"]) == "A1B2C3"
    assert isinstance(parse_order_ref(["a", "b"]), Problem)


@given(st.text(max_size=500))
def test_any_stock_text_gives_counts_or_problems(text: str) -> None:
    report = parse_stock_lines(text)
    assert bool(report.counts) != bool(report.problems)  # all lines or none, never both
    for problem in report.problems:
        assert t("zh", problem.key, **problem.values)


@given(st.lists(st.text(max_size=30), max_size=5))
def test_any_pickup_args_give_a_request_or_a_problem(args: list[str]) -> None:
    result = parse_pickup(args)
    if isinstance(result, Problem):
        assert t("en", result.key, **(result.values | {"example": "A1B2C3"}))
    else:
        assert result.order and result.code
    ref = parse_order_ref(args)
    assert isinstance(ref, str | Problem)


def test_english_counts_agree_with_their_number() -> None:
    one = t("en", "broadcast.preview", audience=1, where="every region", text="Hi")
    assert one.startswith("Preview: this goes to 1 dealer chat in every region.")
    many = t("en", "price.preview", name="Phone X", sku="PX-1", old="1.00", new="2.00",
             currency="CNY", audience=3)  # fmt: skip
    assert "3 dealer chats will be told" in many
    plural = re.compile(r"\b1 (\w+ )?(chats|counts|days|minutes|tries|units|products|promotions)\b")
    for key, text in CATALOGS["en"].items():
        assert not plural.search(render(text, **dict.fromkeys(placeholders(text), 1))), key
