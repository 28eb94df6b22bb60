"""The services a Baton process can run, by name: each starts on enter and stops on exit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from apscheduler.triggers.interval import IntervalTrigger

from baton.api import serve_api
from bots.dealer.app import build_application, polling
from bots.dealer.events import HANDLERS as CHAT_EVENTS
from bots.dealer.reminders import remind_stale_stock
from bots.dealer.webhook import serving_webhook
from bots.sender.sender import ChatSender
from services.broadcasts.acks import schedule_reminders
from services.orders.service import serve_orders
from services.settlement.service import serve_settlement
from services.stats.service import serve_stats
from services.stock.service import serve_stock
from services.webhooks.service import serve_webhooks
from shared.leader import LeaderLock
from shared.runtime import Runtime, running
from shared.scheduling import ElectedScheduler

# The token of the bot that the built-in emulator knows, when no real token is configured.
DEV_BOT_TOKEN = "6000000001:baton-dev-token-for-the-built-in-emulator"


class ServiceUnavailable(RuntimeError):
    """A service cannot start with this configuration; the message says what to set."""


@asynccontextmanager
async def bot_service(runtime: Runtime) -> AsyncIterator[str]:
    """The dealer bot, polling the Bot API that the settings name."""
    settings = runtime.settings
    if not settings.telegram_token:
        raise ServiceUnavailable(
            "the bot needs BATON_TELEGRAM_TOKEN (and BATON_TELEGRAM_API_URL for a Bot API "
            "other than Telegram's); `baton up` runs it against the built-in emulator"
        )
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
        raise ServiceUnavailable(
            "BATON_TELEGRAM_WEBHOOK_URL needs BATON_TELEGRAM_WEBHOOK_SECRET: Telegram sends it "
            "with every update, and updates without it are refused"
        )
    app = build_application(settings.telegram_token, settings.telegram_api_url, runtime)
    consumer = runtime.consumer("bot", CHAT_EVENTS)
    updates: AbstractAsyncContextManager[object]
    if settings.telegram_webhook_url and settings.telegram_webhook_secret:
        updates = serving_webhook(
            app, settings.telegram_webhook_url, settings.telegram_webhook_secret,
            runtime.redis, settings.http_host, settings.telegram_webhook_port,
        )  # fmt: skip
    else:
        updates = polling(app, elect=LeaderLock(runtime.redis, "bot-poller"))
    scheduler = ElectedScheduler(runtime.redis, name="bot-scheduler")
    scheduler.add_job(
        remind_stale_stock, IntervalTrigger(hours=6),
        args=(runtime.db, runtime.clock, settings.stock_reminder_days), id="stale-stock",
    )  # fmt: skip
    schedule_reminders(scheduler, runtime)  # broadcasts: the one ack reminder
    async with updates as mode:
        sender = ChatSender(runtime.db, runtime.redis, app.bot, runtime.clock)
        async with running(consumer.run, sender.run, scheduler.run):
            how = f"webhook on {mode}" if isinstance(mode, str) else "polling"
            yield f"@{app.bot.username} via {settings.telegram_api_url} ({how})"


@dataclass(frozen=True)
class Service:
    """A named service and how to start it."""

    name: str
    label: str
    summary: str
    start: Callable[[Runtime], AbstractAsyncContextManager[str]]


SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service(
            "api", "HTTP API", "the HTTP API: orders, catalog, dealers, health, metrics", serve_api
        ),
        Service("bot", "Dealer bot", "the dealer chat bot (polling)", bot_service),
        Service("orders", "Orders", "routing, offers and handover", serve_orders),
        Service("stock", "Stock", "reservations and dealer counts", serve_stock),
        Service("settlement", "Settlement", "ledger, earnings, statements", serve_settlement),
        Service("webhooks", "Shop webhooks", "order status webhooks to the shop", serve_webhooks),
        Service("stats", "Statistics", "HQ's counts of orders, offers and handovers", serve_stats),
    )
}
