"""The dealer bot: a python-telegram-bot Application pointed at any Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import Application, ApplicationBuilder, CommandHandler, MessageHandler, filters

from bots.dealer import handlers


def file_url_for(api_url: str) -> str:
    """The file download base that goes with a Bot API base (``…/bot`` → ``…/file/bot``)."""
    root, _, tail = api_url.rstrip("/").rpartition("/")
    return f"{root}/file/{tail}"


def build_application(token: str, api_url: str) -> Application:
    """The bot with its handler table, talking to the Bot API at ``api_url``."""
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(api_url)
        .base_file_url(file_url_for(api_url))
        .job_queue(None)  # calendar jobs run on Baton's elected scheduler, not in the bot
        .build()
    )
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(MessageHandler(filters.ALL, handlers.unknown))
    return app


@asynccontextmanager
async def polling(app: Application, poll_timeout: int = 10) -> AsyncIterator[Application]:
    """Run ``app`` with long polling until the block exits."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=poll_timeout, drop_pending_updates=False)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
