"""The `baton` command as an operator meets it: help, migrate, clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis

from shared.bus.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[1]


def baton(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
    return subprocess.run(
        [sys.executable, "-m", "baton.cli", *args],
        cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_help_names_every_command(tmp_path: Path) -> None:
    result = baton("--help", env={})
    assert result.returncode == 0
    for command in ("up", "run", "migrate", "bench"):
        assert command in result.stdout
    run_help = baton("run", "--help", env={})
    assert "api" in run_help.stdout and "bot" in run_help.stdout
    assert "Several named run in one process" in " ".join(run_help.stdout.split())


def test_a_service_refuses_an_unmigrated_database_until_baton_migrate(
    tmp_path: Path, redis_url: str
) -> None:
    env = {"BATON_DATA_DIR": str(tmp_path / "var"), "BATON_REDIS_URL": redis_url}
    refused = baton("run", "api", env=env)
    assert refused.returncode == 2
    assert "run `baton migrate`" in refused.stderr
    migrated = baton("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout
    assert (tmp_path / "var" / "baton.db").exists()


def test_bad_configuration_is_named_and_changes_nothing(tmp_path: Path) -> None:
    env = {"BATON_DATA_DIR": str(tmp_path / "var"), "BATON_DATABASE_URL": "mysql://db"}
    result = baton("migrate", env=env)
    assert result.returncode == 2
    assert "BATON_DATABASE_URL" in result.stderr
    assert not (tmp_path / "var").exists()


def test_the_bot_without_a_token_says_what_to_set(tmp_path: Path, redis_url: str) -> None:
    env = {"BATON_DATA_DIR": str(tmp_path / "var"), "BATON_REDIS_URL": redis_url}
    assert baton("migrate", env=env).returncode == 0
    result = baton("run", "bot", env=env)
    assert result.returncode == 2
    assert "BATON_TELEGRAM_TOKEN" in result.stderr
    # Named beside other services in one process, it refuses all of them alike.
    together = baton("run", "stock", "bot", env=env)
    assert together.returncode == 2
    assert "BATON_TELEGRAM_TOKEN" in together.stderr


def test_commands_beside_a_running_system_use_its_redis_and_never_stop_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "var"
    env = {"BATON_DATA_DIR": str(data)}
    assert baton("migrate", env=env).returncode == 0
    system = EmbeddedRedis(data / "redis")  # the one `baton up` started
    url = system.start()
    client = redis.Redis.from_url(url)
    try:
        client.set("baton:probe", "still here")
        stock = tmp_path / "stock.csv"
        stock.write_text("dealer_id,sku,on_hand\n")
        for args in (
            ("check", "ledger"),
            ("invite", "--dealer", "hq", "--role", "hq"),
            ("import", "stock", str(stock)),
            ("settle", "close", "--period", "2026-W01"),
        ):
            result = baton(*args, env=env)
            assert result.returncode == 0, (args, result.stderr)
            assert system.process is not None and system.process.poll() is None, args
            assert client.get("baton:probe") == b"still here", args
    finally:
        client.close()
        system.stop()
