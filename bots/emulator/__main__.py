"""Run the emulator standalone: python -m bots.emulator --port 8081 --token T."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bots.emulator.limits import Limits
from bots.emulator.server import DEFAULT_TOKEN, EmulatorServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(prog="python -m bots.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--token", action="append", help="bot token (repeat for more bots)", default=None
    )
    parser.add_argument("--username", action="append", default=None, help="bot username(s)")
    parser.add_argument("--no-limits", action="store_true", help="switch flood limits off")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start the server, print its URLs and run until interrupted."""
    server = EmulatorServer(
        args.host,
        args.port,
        args.token or [DEFAULT_TOKEN],
        usernames=args.username,
        limits=Limits.off() if args.no_limits else None,
    )
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(f"Telegram emulator on {server.url}", flush=True)
    print(f"  dev chat:      {server.url}/", flush=True)
    print(f"  base_url:      {server.api_base}", flush=True)
    print(f"  base_file_url: {server.file_base}", flush=True)
    for bot in server.emulator.bots.values():
        print(f"  bot @{bot.username}: token {bot.token}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
