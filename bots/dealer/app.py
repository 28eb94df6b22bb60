"""The dealer bot: a python-telegram-bot Application pointed at any Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.exceptions import RedisError
from telegram import BotCommandScopeDefault
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from bots.dealer import console, earnings, handlers, hq, prices, rules
from bots.dealer.callbacks import on_button
from bots.dealer.context import BotApp, BotContext, BotData
from bots.dealer.documents import on_document
from bots.dealer.errors import on_error
from bots.dealer.menus import commands
from bots.dealer.pacing import PatientCalls
from shared.chat.i18n import LANGUAGES
from shared.leader import LeaderLock
from shared.runtime import Runtime

log = logging.getLogger(__name__)

# The command word → its handler (each checks who may run it: ``bots.dealer.guard``).
COMMANDS = {
    "start": handlers.start,
    "help": handlers.help_command,
    "lang": handlers.lang,
    "orders": handlers.orders,
    "pickup": handlers.pickup,
    "delivered": handlers.delivered,
    "stock": handlers.stock,
    "pause": handlers.pause,
    "resume": handlers.resume,
    "broadcast": hq.broadcast,
    "stats": hq.stats,
    "price": rules.price,
    "promo": rules.promo,
    "prices": prices.prices,
    "earnings": earnings.earnings,
    "console": console.console,
}


def file_url_for(api_url: str) -> str:
    """The file download base that goes with a Bot API base (``…/bot`` → ``…/file/bot``)."""
    root, _, tail = api_url.rstrip("/").rpartition("/")
    return f"{root}/file/{tail}"


def build_application(token: str, api_url: str, runtime: Runtime | None = None) -> BotApp:
    """The bot with its handler table, talking to the Bot API at ``api_url``."""
    app = (
        ApplicationBuilder()
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .token(token)
        .base_url(api_url)
        .base_file_url(file_url_for(api_url))
        .job_queue(None)  # calendar jobs run on Baton's elected scheduler, not in the bot
        .connection_pool_size(16)  # replies and edits in flight at once; PTB's default is 1
        .pool_timeout(10.0)
        .rate_limiter(PatientCalls())  # every reply and edit waits out a 429 (pacing.py)
        # One chat's updates waiting out its limit must not hold up the other chats.
        .concurrent_updates(32)
        .post_init(set_menus)
        .build()
    )
    app.bot_data.runtime = runtime
    for name, handler in COMMANDS.items():
        app.add_handler(CommandHandler(name, handler))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.ALL, handlers.unknown))
    app.add_error_handler(on_error)
    return app


async def set_menus(app: BotApp) -> None:
    """The default command menu in each language (Telegram picks it by the user's language).

    It is what an unbound chat may do; a bound chat gets its role's menu (``menus``).
    """
    for language in LANGUAGES:
        await app.bot.set_my_commands(
            commands(None, language), scope=BotCommandScopeDefault(), language_code=language
        )
    await app.bot.set_my_commands(commands(None, "en"), scope=BotCommandScopeDefault())


@asynccontextmanager
async def polling(
    app: BotApp, poll_timeout: int = 10, *, elect: LeaderLock | None = None
) -> AsyncIterator[BotApp]:
    """Run ``app`` with long polling until the block exits.

    With ``elect``, this replica polls only while it holds that lock: Telegram serves one
    getUpdates at a time per bot (a second poller ends the first with 409), so of several
    bot replicas one polls and the others stand by, taking over within the lock's ttl.
    """
    await app.initialize()
    if app.post_init is not None:  # PTB calls it only from run_polling(), which we do not use
        await app.post_init(app)
    await app.start()
    updater = app.updater
    assert updater is not None
    stop = asyncio.Event()
    if elect is None:
        await updater.start_polling(timeout=poll_timeout, drop_pending_updates=False)
        campaign = None
    else:
        campaign = asyncio.create_task(_poll_while_leading(updater, elect, stop, poll_timeout))
    try:
        yield app
    finally:
        stop.set()
        if campaign is not None:
            await campaign
        if updater.running:
            await updater.stop()
        await app.stop()
        await app.shutdown()


async def _poll_while_leading(
    updater: Updater, lock: LeaderLock, stop: asyncio.Event, poll_timeout: int
) -> None:
    """Poll while ``lock`` is held; stand by (and keep campaigning) while it is not."""
    interval = lock.ttl_ms / 3000
    try:
        while not stop.is_set():
            try:
                leading = await lock.try_acquire()
            except (RedisError, OSError) as exc:
                log.warning("bot poller election: %s", exc)
                leading = lock.held = False
            if leading and not updater.running:
                log.info("this replica polls for updates")
                await updater.start_polling(timeout=poll_timeout, drop_pending_updates=False)
            elif not leading and updater.running:
                log.warning("another replica polls for updates now; standing by")
                await updater.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
    finally:
        if updater.running:
            await updater.stop()
        with contextlib.suppress(RedisError, OSError):
            await lock.release()
