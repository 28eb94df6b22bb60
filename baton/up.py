"""`baton up`: every service in one process, with the emulator when no Telegram token is set."""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from baton.demo import example_order, seed, shop_key
from baton.registry import DEV_BOT_TOKEN, SERVICES, Service
from baton.runtime import open_runtime
from bots.emulator import EmulatorServer
from shared.chat.identity import create_invite, redeem
from shared.db.uow import unit_of_work
from shared.runtime import Runtime, delivery_loops, running
from shared.settings import Settings, TokenOrigin

# Demo chat users, already bound (as an invitation would bind them): name, language,
# username, dealer, role.
DEMO_USERS = [
    ("王店长", "zh", "chengdu_store", "cd-tianfu", "owner"),
    ("Li Na", "en", "beijing_store", "bj-chaoyang", "owner"),
    ("HQ Operator", "en", "hq_ops", "hq", "hq"),
    ("财务 Finance", "zh", "hq_finance", "hq", "finance"),
]


@dataclass
class System:
    """A whole Baton started in this process, and where each part can be reached."""

    runtime: Runtime
    emulator: EmulatorServer | None = None
    places: dict[str, str] = field(default_factory=dict)


async def bind_demo_users(runtime: Runtime, emulator: EmulatorServer) -> None:
    """Create the demo chat users and bind them, as redeeming an invitation would."""
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        for name, language, username, dealer_id, role in DEMO_USERS:
            user = emulator.emulator.create_user(name, username=username, language_code=language)
            invite = await create_invite(uow, dealer_id, role, created_by="demo")
            await redeem(uow, invite.code, user.id, user.id, name, language)


def console_place(settings: Settings, *, emulated: bool) -> str:
    """The banner's console line: where it is, and how to sign in."""
    how = (
        "in the dev chat, as HQ Operator, send /console and open the link"
        if emulated
        else "an HQ or finance member sends /console to the bot and opens the link"
    )
    return f"{settings.console_url}  (sign in: {how})"


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT or SIGTERM, so the process finishes what it has in hand."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


@asynccontextmanager
async def start_all(settings: Settings, *, demo: bool = False) -> AsyncIterator[System]:
    """Start every service (migrating the database first); stop them all on exit."""
    async with AsyncExitStack() as stack:
        runtime = await stack.enter_async_context(open_runtime(settings, migrate=True))
        system = System(runtime)
        if settings.uses_emulator:
            emulator = EmulatorServer(
                host=settings.http_host, port=settings.emulator_port, tokens=[DEV_BOT_TOKEN]
            )
            await emulator.start()
            stack.push_async_callback(emulator.stop)
            system.emulator = emulator
            system.runtime = runtime = runtime.with_settings(
                telegram_token=DEV_BOT_TOKEN, telegram_api_url=emulator.api_base
            )
            system.places["Dev chat (act as a dealer)"] = f"{emulator.url}/"
            if demo:
                await bind_demo_users(runtime, emulator)
        if demo:
            await seed(runtime)
        for service in SERVICES.values():
            system.places[service.label] = await stack.enter_async_context(service.start(runtime))
        system.places["HQ console"] = console_place(settings, emulated=system.emulator is not None)
        await stack.enter_async_context(running(*delivery_loops(runtime)))
        yield system


async def up(settings: Settings, *, demo: bool, stop: asyncio.Event | None = None) -> None:
    """Run everything until ``stop`` (or a signal), printing where to go."""
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    settings, origin = settings.resolve_api_token()
    async with start_all(settings, demo=demo) as system:
        places = dict(system.places)
        places["API token"] = token_place(settings, origin)
        embedded = "" if settings.redis_url else "  (embedded)"
        places["Redis"] = system.runtime.redis_url + embedded
        places["Redis"] = without_password(places["Redis"])
        places["Database"] = without_password(settings.sqlalchemy_url)
        print(banner(places), flush=True)
        if demo:
            api = system.places.get("HTTP API", "")
            key_file = shlex.quote(str((await shop_key(system.runtime)).resolve()))
            example = example_order(api, f"$(cat {key_file})")
            print(
                "Try an order, as the demo shop (an API key that may only post and read orders "
                "of channel mall):\n" + example + "\n",
                flush=True,
            )
        await stop.wait()
        print("Stopping…", flush=True)


async def run_services(
    settings: Settings, services: Sequence[Service], stop: asyncio.Event | None = None
) -> None:
    """Run services in this process (one runtime, one outbox relay and timer loop) until
    ``stop`` or a signal; each prints ``NAME: where`` once it is up."""
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    origin = None
    if any(service.name == "api" for service in services):
        settings, origin = settings.resolve_api_token()
    async with open_runtime(settings) as runtime, AsyncExitStack() as stack:
        places = [
            (service.name, await stack.enter_async_context(service.start(runtime)))
            for service in services
        ]
        await stack.enter_async_context(running(*delivery_loops(runtime)))
        for name, where in places:
            print(f"{name}: {where}", flush=True)
        if origin is not None:
            print(f"API token: {token_place(settings, origin)}", flush=True)
        await stop.wait()


def token_place(settings: Settings, origin: TokenOrigin) -> str:
    """The banner's token line: the token itself only when it was generated just now."""
    where = settings.api_token_file.resolve()
    if origin is TokenOrigin.GENERATED:
        return f"{settings.api_token}  (new; kept in {where}, mode 0600)"
    if origin is TokenOrigin.KEPT:
        return f"kept in {where}  (see it: cat {shlex.quote(str(where))})"
    return "from BATON_API_TOKEN"


def without_password(url: str) -> str:
    """``url`` with any password in it masked, for printing."""
    return make_url(url).render_as_string(hide_password=True) if "@" in url else url


def banner(places: dict[str, str]) -> str:
    """The lines ``baton up`` prints once everything is ready."""
    width = max(len(label) for label in places)
    body = "\n".join(f"  {label.ljust(width)}  {value}" for label, value in places.items())
    return f"\nBaton is running.\n{body}\nPress Ctrl-C to stop.\n"
