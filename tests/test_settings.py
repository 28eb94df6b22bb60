"""Settings: every BATON_* variable is read in one place and a bad one is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import SettingsError, load_settings


def test_defaults_need_nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BATON_REDIS_URL", "BATON_DATABASE_URL", "BATON_TELEGRAM_TOKEN", "BATON_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.redis_url is None
    assert settings.uses_emulator
    assert settings.sqlalchemy_url.startswith("sqlite+aiosqlite:///")
    assert settings.sqlalchemy_url.endswith("/var/baton.db")
    assert settings.http_port == 8080


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BATON_HTTP_PORT", "9000")
    monkeypatch.setenv("BATON_TELEGRAM_TOKEN", "123:abc")
    settings = load_settings()
    assert settings.data_dir == tmp_path
    assert settings.http_port == 9000
    assert not settings.uses_emulator


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BATON_HTTP_PORT", "eighty"),
        ("BATON_HTTP_PORT", "70000"),
        ("BATON_REDIS_URL", "localhost:6379"),
        ("BATON_DATABASE_URL", "mysql://x"),
        ("BATON_TELEGRAM_API_URL", "ftp://x"),
        ("BATON_MAX_DELIVERIES", "0"),
        ("BATON_LOG_LEVEL", "LOUD"),
        ("BATON_ROUTING_RULES", "paused,teleport"),
    ],
)
def test_a_bad_value_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_an_api_token_is_generated_when_none_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATON_API_TOKEN", raising=False)
    first = load_settings().with_api_token()
    assert first.api_token and len(first.api_token) >= 24
    monkeypatch.setenv("BATON_API_TOKEN", "fixed")
    assert load_settings().with_api_token().api_token == "fixed"
