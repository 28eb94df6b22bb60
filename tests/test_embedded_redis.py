"""The embedded redis-server: private, persistent with AOF, never on port 6379."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import redis

from shared.bus.embedded import EmbeddedRedis


def test_it_keeps_data_across_a_restart_with_aof(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start()
    try:
        assert url.startswith("unix://")
        client = redis.Redis.from_url(url)
        client.xadd("baton:orders", {"e": "{}"})
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("port") == {"port": "0"}
        client.close()
    finally:
        server.stop()
    assert server.process is None

    again = EmbeddedRedis(tmp_path / "redis")
    client = redis.Redis.from_url(again.start())
    try:
        assert client.xlen("baton:orders") == 1
    finally:
        client.close()
        again.stop()


def test_a_second_process_uses_the_running_server_and_never_stops_it(tmp_path: Path) -> None:
    running = EmbeddedRedis(tmp_path / "redis")  # as `baton up` starts it
    url = running.start()
    try:
        client = redis.Redis.from_url(url)
        client.set("order", "kept")
        second = EmbeddedRedis(tmp_path / "redis")  # as `baton check ledger` would
        assert second.start() == url
        assert second.process is None  # it owns nothing
        second.stop()
        assert running.process is not None and running.process.poll() is None
        assert client.get("order") == b"kept"
        client.close()
    finally:
        running.stop()


def test_a_server_left_behind_is_stopped_before_a_new_one_starts(tmp_path: Path) -> None:
    left = EmbeddedRedis(tmp_path / "redis")
    left.start()
    assert left.process is not None
    orphan = left.process
    # Its owner died without stopping it (a pid that has exited).
    dead = subprocess.Popen(["true"])
    dead.wait()
    owner = tmp_path / "redis" / "owner.json"
    owner.write_text(json.dumps({**json.loads(owner.read_text()), "pid": dead.pid}))
    fresh = EmbeddedRedis(tmp_path / "redis")
    try:
        client = redis.Redis.from_url(fresh.start())
        assert client.ping()
        client.close()
        assert orphan.wait(timeout=10) is not None
    finally:
        fresh.stop()
        left.stop()


def test_a_long_data_dir_falls_back_to_a_free_tcp_port(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    server = EmbeddedRedis(deep)
    url = server.start()
    try:
        assert url.startswith("redis://127.0.0.1:")
        assert not url.endswith(":6379/0")
        client = redis.Redis.from_url(url)
        assert client.ping()
        client.close()
    finally:
        server.stop()
