"""What HQ types: /price and /promo give a rule or a Problem with a text, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bots.dealer.rule_parsing import FIELDS, PriceRequest, PromoText, parse_price, parse_promo
from services.pricing.schemas import PromotionBody, parse_percent
from shared.chat.i18n import CATALOGS, Problem, t
from shared.settings import SettingsError, load_settings
from shared.times import parse_time

ZONE = ZoneInfo("Asia/Shanghai")


def test_price_args() -> None:
    assert parse_price(["PX-1", "1799.00"]) == PriceRequest("PX-1", "1799.00")
    assert parse_price(["ＰＸ－１", "￥１７９９"]) == PriceRequest("PX-1", "1799")
    assert parse_price(["PX-1"]) == Problem("price.usage")
    assert parse_price(["bad sku!", "1"]) == Problem("price.unknown_sku", {"sku": "bad sku!"})


def test_a_promotion_typed_in_english_or_chinese() -> None:
    english = parse_promo(
        "Spring sale\noff 12.5%\nskus PX-1, PX-2\ncategories phones\nregions Sichuan Yunnan\n"
        "from 2026-03-01 10:00\nto: 2026-03-08\nfunded shared\ncap 100\nstack"
    )
    assert english == PromoText({
        "name": "Spring sale", "percent_off": "12.5", "skus": ["PX-1", "PX-2"],
        "categories": ["phones"], "regions": ["Sichuan", "Yunnan"],
        "starts_at": "2026-03-01 10:00", "ends_at": "2026-03-08", "funded_by": "shared",
        "unit_cap": 100, "stackable": True,
    })  # fmt: skip
    chinese = parse_promo(
        "春季直降；折扣 ￥20；商品 PX-1、PX-2；结束 2026-03-08；承担 经销商；叠加 否"
    )
    assert isinstance(chinese, PromoText)
    assert chinese.data == {
        "name": "春季直降", "amount_off": "20", "currency": "CNY", "skus": ["PX-1", "PX-2"],
        "ends_at": "2026-03-08", "funded_by": "dealer", "stackable": False,
    }  # fmt: skip
    bare = parse_promo("X; off 20")
    assert isinstance(bare, PromoText) and bare.needs_currency
    assert parse_promo("X; off 20 USD") == PromoText({"name": "X", "amount_off": "20",
                                                      "currency": "USD"})  # fmt: skip
    assert parse_promo("X; off 20元") == PromoText({"name": "X", "amount_off": "20",
                                                   "currency": "CNY"})  # fmt: skip


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", Problem("promo.usage")),
        ("X; colour red", Problem("promo.unknown_field", {"field": "colour"})),
        ("X; off 10%; off 5%", Problem("promo.repeated", {"field": "off"})),
        ("X; off lots", Problem("promo.bad.percent_off")),
        ("X; stack maybe", Problem("promo.bad.stackable")),
        ("X" * 2001, Problem("promo.too_long", {"limit": 2000})),
    ],
)
def test_a_promotion_that_cannot_be_read_says_why(text: str, problem: Problem) -> None:
    assert parse_promo(text) == problem
    for language in CATALOGS:
        assert t(language, problem.key, **problem.values)


def test_times_and_percentages() -> None:
    assert parse_time("2026-03-01", ZONE) == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert parse_time("2026-03-01T10:00Z", ZONE) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_time("2026-03-01 10:00+09:00", ZONE) == datetime(2026, 3, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("tomorrow", ZONE)
    assert [parse_percent(p) for p in ("10", "12.5", "0.01", "100%")] == [1000, 1250, 1, 10_000]
    for bad in ("0", "100.01", "1.005", "-5", "ten", ""):
        with pytest.raises(ValueError):
            parse_percent(bad)


@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(list(FIELDS)).flatmap(
                lambda key: st.text(max_size=20).map(lambda value: f"{key} {value}")
            ),
        ),
        max_size=8,
    ),
    st.sampled_from([";", "\n", "；"]),
)
def test_any_promotion_text_gives_a_valid_body_or_a_problem_with_a_text(
    parts: list[str], separator: str
) -> None:
    parsed = parse_promo(separator.join(parts))
    if isinstance(parsed, Problem):
        for language in CATALOGS:
            assert t(language, parsed.key, **parsed.values)
        return
    now = datetime(2026, 1, 1, tzinfo=UTC)
    data = {"starts_at": now.isoformat()} | parsed.data
    try:
        body = PromotionBody.model_validate(data, context={"zone": ZONE})
    except ValidationError as exc:
        for error in exc.errors():  # every field the chat can get wrong has a hint
            assert t("zh", f"promo.bad.{error['loc'][0]}")
        return
    for issue in body.problems(now + timedelta(seconds=1)):
        assert t("en", f"promo.{issue.code}", **issue.values)


@given(st.lists(st.text(max_size=30), max_size=4))
def test_any_price_args_give_a_request_or_a_problem(args: list[str]) -> None:
    result = parse_price(args)
    if isinstance(result, Problem):
        assert t("en", result.key, **result.values)
    else:
        assert result.sku and result.amount is not None


def test_hq_time_zone_setting_is_checked_at_start() -> None:
    assert load_settings(hq_timezone="Europe/Paris").hq_timezone == "Europe/Paris"
    with pytest.raises(SettingsError, match="BATON_HQ_TIMEZONE"):
        load_settings(hq_timezone="Mars/Olympus")
