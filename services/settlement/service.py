"""The settlement service: books order events as they come, and runs the weekly statements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from services.settlement.handlers import build_handlers
from services.settlement.split_rules import (
    SplitConfig,
    parse_provider_commission,
    parse_split_rules,
)
from services.settlement.statements import weekly
from shared.runtime import Runtime, running
from shared.scheduling import ElectedScheduler
from shared.settings import Settings

STATEMENT_JOB = "weekly-statements"


def split_config(settings: Settings) -> SplitConfig:
    """The split percentages the settings configure (checked when the settings were read)."""
    return SplitConfig(
        rules=parse_split_rules(settings.split_rules),
        provider_pct=parse_provider_commission(settings.provider_commission),
    )


def statement_trigger(settings: Settings) -> CronTrigger:
    """When weekly statements run: ``BATON_STATEMENT_CRON`` in ``BATON_SETTLEMENT_TZ``."""
    return CronTrigger.from_crontab(settings.statement_cron, timezone=settings.settlement_tz)


def scheduler_for(runtime: Runtime) -> ElectedScheduler:
    """The elected scheduler with the weekly statements job (it runs on one replica)."""
    settings = runtime.settings
    scheduler = ElectedScheduler(runtime.redis, name="settlement")
    tz = ZoneInfo(settings.settlement_tz)

    async def statements() -> None:
        await weekly(runtime.db, runtime.clock, tz, settings.data_dir)

    scheduler.add_job(statements, statement_trigger(settings), id=STATEMENT_JOB)
    return scheduler


@asynccontextmanager
async def serve_settlement(runtime: Runtime) -> AsyncIterator[str]:
    """Consume the settlement stream and run the statements job while the block runs."""
    settings = runtime.settings
    window = timedelta(days=settings.return_window_days)
    zone = ZoneInfo(settings.settlement_tz)
    handlers = build_handlers(split_config(settings), window, zone)
    consumer = runtime.consumer("settlement", handlers)
    scheduler = scheduler_for(runtime)
    async with running(consumer.run, scheduler.run):
        yield (
            f"ledger from baton:settlement; return window {settings.return_window_days} days; "
            f"statements at '{settings.statement_cron}' {settings.settlement_tz}"
        )
