"""The settlement settings: read once, bad values named at start."""

from __future__ import annotations

from fractions import Fraction

import pytest

from baton.settings import load_settings
from services.settlement.service import split_config
from shared.settings import SettingsError


def test_settlement_settings_have_defaults_and_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = load_settings()
    assert (defaults.return_window_days, defaults.settlement_tz, defaults.statement_cron) == (
        7, "Asia/Shanghai", "0 9 * * mon",
    )  # fmt: skip
    monkeypatch.setenv("BATON_SPLIT_RULES", '[{"dealer": "cd-b", "fulfilment_pct": 75}]')
    monkeypatch.setenv("BATON_PROVIDER_COMMISSION", "tmall=5")
    monkeypatch.setenv("BATON_RETURN_WINDOW_DAYS", "15")
    settings = load_settings()
    config = split_config(settings)
    assert config.fulfilment_pct("mall", "phones", "cd-b") == 75
    assert config.provider("tmall") == 5 and config.provider("mall") == Fraction(0)
    assert settings.return_window_days == 15


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("BATON_SETTLEMENT_TZ", "Mars/Olympus", "unknown time zone"),
        ("BATON_STATEMENT_CRON", "every monday", "crontab"),
        ("BATON_SPLIT_RULES", '[{"channel": "x"}]', "neither"),
        ("BATON_PROVIDER_COMMISSION", "tmall=150", "0 to 100"),
        ("BATON_RETURN_WINDOW_DAYS", "-1", "greater than or equal"),
    ],
)
def test_a_bad_settlement_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable) as raised:
        load_settings()
    assert says in str(raised.value)
