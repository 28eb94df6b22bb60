"""The dealer bot: a python-telegram-bot Application pointed at any Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bots.dealer import handlers
from bots.dealer.callbacks import on_button
from bots.dealer.context import RUNTIME_KEY
from bots.dealer.documents import on_document
from bots.dealer.i18n import LANGUAGES, t
from services.runtime import Runtime

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
}
MENU = ("orders", "pickup", "delivered", "stock", "pause", "lang", "help")


def file_url_for(api_url: str) -> str:
    """The file download base that goes with a Bot API base (``…/bot`` → ``…/file/bot``)."""
    root, _, tail = api_url.rstrip("/").rpartition("/")
    return f"{root}/file/{tail}"


def build_application(token: str, api_url: str, runtime: Runtime | None = None) -> Application:
    """The bot with its handler table, talking to the Bot API at ``api_url``."""
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(api_url)
        .base_file_url(file_url_for(api_url))
        .job_queue(None)  # calendar jobs run on Baton's elected scheduler, not in the bot
        .connection_pool_size(16)  # replies and edits in flight at once; PTB's default is 1
        .pool_timeout(10.0)
        .concurrent_updates(8)  # one slow chat must not hold up the others
        .post_init(set_menus)
        .build()
    )
    app.bot_data[RUNTIME_KEY] = runtime
    for name, handler in COMMANDS.items():
        app.add_handler(CommandHandler(name, handler))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.ALL, handlers.unknown))
    return app


async def set_menus(app: Application) -> None:
    """The command menu in each language (Telegram picks it by the user's language)."""
    for language in LANGUAGES:
        commands = [
            BotCommand(c, t(language, f"help.{c}").split(":", 1)[-1].strip()[:256]) for c in MENU
        ]
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language
        )
    english = [BotCommand(c, t("en", f"help.{c}").split(":", 1)[-1].strip()[:256]) for c in MENU]
    await app.bot.set_my_commands(english, scope=BotCommandScopeDefault())


@asynccontextmanager
async def polling(app: Application, poll_timeout: int = 10) -> AsyncIterator[Application]:
    """Run ``app`` with long polling until the block exits."""
    await app.initialize()
    if app.post_init is not None:  # PTB calls it only from run_polling(), which we do not use
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=poll_timeout, drop_pending_updates=False)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
