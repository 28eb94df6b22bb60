"""The `baton` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from pathlib import Path

from baton.settings import load_settings
from shared.settings import Settings, SettingsError

DESCRIPTION = """\
Baton routes a brand's online orders to its dealers, who work them in a chat bot,
and splits the profit. Configuration comes from BATON_* environment variables
(see the README); with none set, everything runs locally under ./var.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from baton.import_command import KINDS
    from baton.keys_command import SCOPE_HELP
    from baton.registry import SERVICES

    parser = argparse.ArgumentParser(prog="baton", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="run every service in one process",
        description="Run every service in one process: an embedded Redis when BATON_REDIS_URL "
        "is unset, SQLite when BATON_DATABASE_URL is unset, and the built-in Telegram "
        "emulator with its dev chat page when BATON_TELEGRAM_TOKEN is unset.",
    )
    up.add_argument("--demo", action="store_true", help="seed demo users and data")

    names = ", ".join(f"{s.name} ({s.summary})" for s in SERVICES.values())
    run = commands.add_parser(
        "run",
        help="run one service (or a few in one process), for deployment",
        description=(
            f"Run services until SIGTERM. Services: {names}. Several named run in one "
            "process, sharing its connections and its outbox relay."
        ),
    )
    run.add_argument("service", nargs="+", choices=sorted(SERVICES), help="which service(s)")

    commands.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply every pending migration to BATON_DATABASE_URL (or the SQLite file).",
    )
    invite = commands.add_parser(
        "invite",
        help="invite someone to the dealer bot",
        description="Create a single-use invitation (valid 7 days) and print its code and "
        "the https://t.me/<bot>?start=<code> link that binds a chat user to the dealer.",
    )
    invite.add_argument("--dealer", required=True, help="the dealer id (ignored for hq)")
    invite.add_argument("--role", required=True, choices=["owner", "staff", "hq", "finance"])
    commands.add_parser(
        "console",
        help="print a one-time admin sign-in link to HQ's web console",
        description="Print a link that signs an admin in to the console once, within 5 "
        "minutes (API keys included). HQ and finance members get theirs from the bot with "
        "/console.",
    )
    keys = commands.add_parser(
        "keys",
        help="make, list and revoke API keys (baton keys create --help)",
        description="API keys for the HTTP API: each with a name, the scopes it needs, and "
        "optionally a channel (a shop's orders only) or a dealer (that dealer's routes only).",
    )
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = key_commands.add_parser(
        "create",
        help="make a key and print it, once",
        description="Make an API key and print it once; Baton keeps only its hash. Example: "
        "baton keys create --name tmall-shop --scope orders:write --channel tmall",
    )
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.add_argument("--scope", required=True, action="append", help=SCOPE_HELP)
    bound = create.add_mutually_exclusive_group()
    bound.add_argument("--channel", help="only this channel's orders (a shop's key)")
    bound.add_argument("--dealer", help="only this dealer's routes (a store's stock sync)")
    create.add_argument(
        "--expires-in-days", type=float, metavar="DAYS", help="refused after this many days"
    )
    key_commands.add_parser("list", help="every key: id, state, name, last use, scopes")
    revoke = key_commands.add_parser(
        "revoke", help="revoke a key", description="Revoke an API key by its id."
    )
    revoke.add_argument("id", help="the key's id (`baton keys list`)")
    importer = commands.add_parser(
        "import",
        help="load products, dealers or stock from a CSV file",
        description="Load a CSV file (UTF-8, first line the column names). Every line is "
        "checked first; if any is bad, each bad line is reported and nothing is imported "
        "unless --skip-bad is given. Products: sku,name,category,currency,list_price,"
        "wholesale_price,floor_price[,channel,needs_installation]. Dealers: id,name,region,"
        "city,lat,lon,service_radius_km[,capabilities,capacity,exclusive_regions,"
        "referral_code,paused,warehouse] with lists separated by ';'. Stock: "
        "dealer_id,sku,on_hand.",
    )
    importer.add_argument("kind", choices=sorted(KINDS), help="what the file holds")
    importer.add_argument("file", type=Path, help="the CSV file")
    importer.add_argument(
        "--skip-bad", action="store_true", help="import the good lines even if some are bad"
    )
    settle = commands.add_parser(
        "settle",
        help="close a payout period (baton settle close --help)",
        description="Settlement by hand.",
    )
    settle_commands = settle.add_subparsers(dest="settle_command", required=True, metavar="STEP")
    close = settle_commands.add_parser(
        "close",
        help="close a period: pay what is available and write the finance payout CSV",
        description="Close a period: every dealer's available earnings, net of cash they owe "
        "HQ, are paid (or the debt is carried into the next statement), once per period; "
        "closing a closed period changes nothing and writes the same file again. Periods "
        "are read in BATON_SETTLEMENT_TZ and must have ended; close them in order. Exits 2 "
        "and changes nothing when the period or the output cannot be used.",
    )
    close.add_argument(
        "--period", required=True, help="an ISO week (2026-W03) or days (2026-01-01..2026-01-31)"
    )
    close.add_argument(
        "--out",
        type=Path,
        help="the payout CSV (default: payouts/payouts-PERIOD.csv in the data dir)",
    )
    close.add_argument(
        "--statements", action="store_true", help="also send each dealer owner their statement"
    )
    check = commands.add_parser(
        "check",
        help="check the books (baton check ledger)",
        description="Consistency checks.",
    )
    check.add_argument(
        "what",
        choices=["ledger"],
        help="ledger: every transaction and the whole ledger sum to zero, each balance equals "
        "its entries, each order's split equals what the customer paid net of refunds; exits "
        "1 naming the first violation",
    )
    commands.add_parser(
        "bench",
        help="measure throughput (baton bench bus --help)",
        add_help=False,
        description="Benchmarks; see `baton bench bus --help`.",
    )
    commands.add_parser(
        "chaos",
        help="deploy as processes on PostgreSQL, SIGKILL at random, check the invariants "
        "(baton chaos --help)",
        add_help=False,
    )
    return parser


def configure_logging(level: str) -> None:
    """Log to stderr at ``level``; per-request chatter of the HTTP clients only when debugging."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":
        for noisy in ("httpx", "aiohttp.access", "alembic.runtime.migration"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _outer_command(name: str) -> Callable[[list[str]], int]:
    """``bench`` or ``chaos``: a command line of the benchmarks, which sit above Baton and
    are registered as ``baton.commands`` entry points (pyproject.toml), not imported here."""
    (command,) = entry_points(group="baton.commands", name=name)
    main_of_command: Callable[[list[str]], int] = command.load()
    return main_of_command


def main(argv: list[str] | None = None) -> int:
    """Run the `baton` command line; returns the exit status."""
    args_list = sys.argv[1:] if argv is None else argv
    if args_list[:1] in (["bench"], ["chaos"]):
        return _outer_command(args_list[0])(args_list[1:])
    args = build_parser().parse_args(args_list)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"baton: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        return asyncio.run(_dispatch(args, settings))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"baton: {exc}", file=sys.stderr)
        return 1


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from baton.import_command import run_import
    from baton.invite_command import run_console, run_invite
    from baton.registry import SERVICES, ServiceUnavailable
    from baton.settle_command import run_check, run_close
    from baton.up import run_services, up, without_password
    from shared.db.migrate import SchemaOutOfDate, upgrade

    async def migrate() -> int:
        await upgrade(settings.sqlalchemy_url)
        print(f"database is up to date: {without_password(settings.sqlalchemy_url)}")
        return 0

    # The command word → what it runs (its exit status; None: 0).
    commands: dict[str, Callable[[], Awaitable[int | None]]] = {
        "up": lambda: up(settings, demo=args.demo),
        "run": lambda: run_services(
            settings, [SERVICES[name] for name in dict.fromkeys(args.service)]
        ),
        "invite": lambda: run_invite(settings, args.dealer, args.role),
        "keys": lambda: _keys(args, settings),
        "console": lambda: run_console(settings),
        "import": lambda: run_import(settings, args.kind, args.file, args.skip_bad),
        "settle": lambda: run_close(settings, args.period, args.out, args.statements),
        "check": lambda: run_check(settings),
        "migrate": migrate,
    }
    try:
        return await commands[args.command]() or 0
    except (ServiceUnavailable, SchemaOutOfDate) as exc:
        print(f"baton: {exc}", file=sys.stderr)
        return 2


async def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from baton.keys_command import run_create, run_list, run_revoke

    if args.keys_command == "create":
        if args.expires_in_days is not None and args.expires_in_days <= 0:
            print("baton: --expires-in-days must be more than 0", file=sys.stderr)
            return 2
        return await run_create(
            settings, args.name, args.scope, args.channel, args.dealer, args.expires_in_days
        )
    if args.keys_command == "list":
        return await run_list(settings)
    return await run_revoke(settings, args.id)


if __name__ == "__main__":
    sys.exit(main())
