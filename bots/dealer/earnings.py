"""/earnings in chat (the texts are settlement's: ``services.settlement.texts``).

Owners only (``identity.PERMISSIONS["earnings"]``): staff and HQ are refused. The figures
come from settlement's read side (``services.settlement.earnings``), for today, this week
or this month in the settlement time zone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update

from bots.dealer.context import BotContext, BoundChat, reply
from bots.dealer.guard import command
from bots.dealer.parsing import fold
from services.settlement.public import RECENT, dealer_earnings, earnings_text, recent

DEFAULT_PERIOD = "week"
# What a dealer may type after /earnings, in English or Chinese, for each period.
PERIOD_WORDS = {
    "today": "today", "day": "today", "今天": "today", "今日": "today", "当天": "today",
    "week": "week", "本周": "week", "这周": "week", "本星期": "week",
    "周": "week", "month": "month", "本月": "month", "这个月": "month", "当月": "month",
    "月": "month",
}  # fmt: skip


def period_word(args: list[str]) -> str | None:
    """The period asked for, in either language (``week`` when none is); None if unknown."""
    if not args:
        return DEFAULT_PERIOD
    word = PERIOD_WORDS.get(fold(args[0]).strip().lower())
    return word if word in RECENT and len(args) == 1 else None


@command("earnings")
async def earnings(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/earnings [today|week|month]: what this owner's store earned, by kind and by state."""
    word = period_word(list(context.args or []))
    if word is None:
        await reply(update, chat.text("earnings.usage"))
        return
    runtime = chat.runtime
    period = recent(word, runtime.clock.now(), ZoneInfo(runtime.settings.settlement_tz))
    found = await dealer_earnings(runtime.db, chat.user.dealer_id, period.starts_at, period.ends_at)
    await reply(update, earnings_text(chat.language, found, period))
