"""Settings: every BATON_* variable is read in one place and a bad one is named."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from baton.settings import load_settings
from shared.settings import SettingsError, TokenOrigin

ROOT = Path(__file__).resolve().parents[1]
STRONG = "p4Lq9xZr2Vw7Nc8Ks3Jt6Hy1Bm5Df0Ga"


@pytest.mark.parametrize(
    "token",
    [
        "CHANGE-ME",  # short
        "CHANGE-ME-CHANGE-ME-CHANGE-ME-CHANGE-ME",  # a placeholder, however long
        "my-secret-api-key-for-production-use",  # a word of one
        "a" * 40,  # long but not random
        "0123456701234567012345670123456701",  # too few different characters
    ],
)
def test_a_weak_api_token_stops_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("BATON_API_TOKEN", token)
    with pytest.raises(SettingsError, match="BATON_API_TOKEN") as refused:
        load_settings()
    assert token not in str(refused.value)  # the message never repeats the token


def test_a_weak_kept_token_is_refused_naming_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BATON_API_TOKEN", raising=False)
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path))
    (tmp_path / "api-token").write_text("hunter2\n")
    with pytest.raises(SettingsError, match=r"BATON_API_TOKEN.*api-token.*too short"):
        load_settings().resolve_api_token()


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


def test_a_generated_api_token_is_kept_in_the_data_dir_for_the_next_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BATON_API_TOKEN", raising=False)
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path / "var"))
    first, origin = load_settings().resolve_api_token()
    assert origin is TokenOrigin.GENERATED
    assert first.api_token and len(first.api_token) >= 24
    kept = tmp_path / "var" / "api-token"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text().strip() == first.api_token
    again, origin = load_settings().resolve_api_token()  # a restart
    assert (again.api_token, origin) == (first.api_token, TokenOrigin.KEPT)
    assert load_settings().with_api_token().api_token == first.api_token
    assert [p.name for p in kept.parent.iterdir()] == ["api-token"]  # nothing left aside


def test_a_token_from_the_environment_is_never_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BATON_API_TOKEN", STRONG)
    settings, origin = load_settings().resolve_api_token()
    assert (settings.api_token, origin) == (STRONG, TokenOrigin.ENV)
    assert not (tmp_path / "var").exists()


def test_a_kept_token_readable_by_others_is_made_private_and_an_empty_one_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BATON_API_TOKEN", raising=False)
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path))
    kept = tmp_path / "api-token"
    kept.write_text(STRONG + "\n")
    kept.chmod(0o644)
    settings, origin = load_settings().resolve_api_token()
    assert (settings.api_token, origin) == (STRONG, TokenOrigin.KEPT)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    kept.write_text("\n")
    with pytest.raises(SettingsError, match=r"BATON_API_TOKEN.*empty"):
        load_settings().resolve_api_token()


def test_two_processes_starting_at_once_share_one_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BATON_API_TOKEN", raising=False)
    script = (
        "from shared.settings import load_settings; "
        "print(load_settings().with_api_token().api_token)"
    )
    env = os.environ | {"BATON_DATA_DIR": str(tmp_path)}
    env.pop("BATON_API_TOKEN", None)
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    tokens = {p.communicate(timeout=60)[0].strip() for p in starts}
    assert tokens == {(tmp_path / "api-token").read_text().strip()}


def test_the_pickup_key_is_generated_once_kept_private_or_taken_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BATON_PICKUP_KEY", raising=False)
    monkeypatch.setenv("BATON_DATA_DIR", str(tmp_path / "var"))
    key = load_settings().resolve_pickup_key()
    kept = tmp_path / "var" / "pickup-key"
    assert len(key) >= 32 and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert load_settings().resolve_pickup_key() == key  # a restart hashes as before
    monkeypatch.setenv("BATON_PICKUP_KEY", "from-the-secret-store-32-bytes!!")
    assert load_settings().resolve_pickup_key() == b"from-the-secret-store-32-bytes!!"
    monkeypatch.setenv("BATON_PICKUP_KEY", "short")
    with pytest.raises(SettingsError, match="BATON_PICKUP_KEY"):
        load_settings()
