"""Baton as it is deployed: each service a ``baton run`` process of its own, with replicas.

Used by the orders bench (``--replicas N``) and the chaos run: start the processes on one
Redis and one database, wait until each has said it is up, read their CPU time from
``/proc``, and stop them (SIGTERM, then SIGKILL) when the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import BenchError
from shared.bus.embedded import die_with_parent, free_port

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (``/proc/<pid>/stat``), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def services_of(layout_key: str) -> list[str]:
    """The services of one process: ``api+stock+orders`` runs three in one process."""
    return layout_key.split("+")


@dataclass
class Worker:
    """One ``baton run SERVICE`` process."""

    service: str
    index: int
    env: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None
    cpu_before_exit: float = 0.0

    @property
    def services(self) -> list[str]:
        """The services the process runs."""
        return services_of(self.service)

    @property
    def name(self) -> str:
        """``orders-2``: the service and which replica."""
        return f"{self.service}-{self.index}"

    async def start(self) -> None:
        """Start the process and wait until it prints its banner (``SERVICE: …``)."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "baton.cli", "run", *self.services,
                env=self.env, stdout=out, stderr=out, start_new_session=True,
                preexec_fn=die_with_parent,  # a killed bench leaves no service behind
            )  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT_S
        while not all(
            f"{name}: ".encode() in self.log.read_bytes()[offset:] for name in self.services
        ):
            if self.process.returncode is not None:
                raise BenchError(f"{self.name} exited at start; its log: {self.log}")
            if loop.time() > deadline:
                raise BenchError(f"{self.name} did not start in {READY_TIMEOUT_S}s: {self.log}")
            await asyncio.sleep(0.05)

    def cpu(self) -> float:
        """CPU seconds the process has used (what it had used, once it has exited)."""
        if self.process is None:
            return 0.0
        if self.process.returncode is None:
            self.cpu_before_exit = cpu_seconds(self.process.pid) or self.cpu_before_exit
        return self.cpu_before_exit

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.returncode is None:
            self.cpu()
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM, and SIGKILL if it has not stopped within ``STOP_TIMEOUT_S``."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        self.cpu()
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            self.kill()
            await process.wait()


@dataclass
class Deployment:
    """The running processes, and the API's URLs."""

    workers: list[Worker] = field(default_factory=list)
    api_urls: list[str] = field(default_factory=list)

    def cpu(self) -> float:
        """CPU seconds used by every process so far."""
        return sum(w.cpu() for w in self.workers)

    def of(self, service: str) -> list[Worker]:
        """The workers of one service."""
        return [w for w in self.workers if w.service == service]


def service_env(base: Mapping[str, str], **settings: str) -> dict[str, str]:
    """The environment for a ``baton run`` process: ``base`` plus ``BATON_*`` settings."""
    env = {k: v for k, v in base.items() if not k.startswith("BATON_")}
    env.update({f"BATON_{key.upper()}": value for key, value in settings.items()})
    return env


@asynccontextmanager
async def deployed(
    workdir: Path,
    settings: Mapping[str, str],
    replicas: Mapping[str, int],
) -> AsyncIterator[Deployment]:
    """Run ``replicas[service]`` processes of each service while the block runs.

    Each API replica listens on a port of its own. ``settings`` are ``BATON_*`` values by
    their lower-case names (``redis_url``, ``database_url``, ``api_token``, ...).
    """
    deployment = Deployment()
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        for service, count in replicas.items():
            for index in range(1, count + 1):
                values = dict(settings) | {"data_dir": str(workdir / "var")}
                if "api" in services_of(service):
                    port = free_port()
                    values["http_port"] = str(port)
                    deployment.api_urls.append(f"http://127.0.0.1:{port}")
                worker = Worker(
                    service, index, service_env(os.environ, **values),
                    logs / f"{service}-{index}.log",
                )  # fmt: skip
                deployment.workers.append(worker)
        await asyncio.gather(*(w.start() for w in deployment.workers))
        yield deployment
    finally:
        await asyncio.gather(*(w.stop() for w in deployment.workers), return_exceptions=True)
