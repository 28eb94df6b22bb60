"""/earnings in chat, and the texts of earnings and weekly statements.

Owners only (``identity.PERMISSIONS["earnings"]``): staff and HQ are refused. The figures
come from settlement's read side (``services.settlement.earnings``), for today, this week
or this month in the settlement time zone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bots.dealer.context import chat_of
from bots.dealer.handlers import allowed, reply
from bots.dealer.i18n import t
from bots.dealer.parsing import fold
from services.settlement.earnings import Earnings, Figures, dealer_earnings
from services.settlement.models import PayoutLine
from services.settlement.periods import RECENT, Period, recent
from shared.money import format_amount

DEFAULT_PERIOD = "week"
# What a dealer may type after /earnings, in English or Chinese, for each period.
PERIOD_WORDS = {
    "today": "today", "day": "today", "今天": "today", "今日": "today", "当天": "today",
    "week": "week", "本周": "week", "这周": "week", "本星期": "week",
    "周": "week", "month": "month", "本月": "month", "这个月": "month", "当月": "month",
    "月": "month",
}  # fmt: skip
SYMBOLS = {
    "CNY": "¥", "JPY": "JP¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$",
    "TWD": "NT$", "SGD": "S$", "KRW": "₩",
}  # fmt: skip


def money(minor: int, currency: str) -> str:
    """An amount as a dealer reads it: symbol, thousands grouped (``¥1,999.00``, ``-¥5.00``)."""
    text = format_amount(abs(minor), currency)
    whole, dot, part = text.partition(".")
    grouped = f"{int(whole):,}" + (dot + part if dot else "")
    symbol = SYMBOLS.get(currency)
    body = f"{symbol}{grouped}" if symbol else f"{grouped} {currency}"
    return f"-{body}" if minor < 0 else body


def figures_lines(language: str, figures: Figures) -> list[str]:
    """One currency's amounts by kind and by state, and the cash owed."""
    c = figures.currency
    lines = [
        t(language, "earnings.by_kind", fulfilment=money(figures.fulfilment, c),
          referral=money(figures.referral, c)),
        t(language, "earnings.by_state", held=money(figures.held, c),
          pending=money(figures.pending, c), available=money(figures.available, c),
          paid=money(figures.paid, c)),
    ]  # fmt: skip
    if figures.cash_owed:
        lines.append(t(language, "earnings.cash_owed", amount=money(figures.cash_owed, c)))
    return lines


def earnings_text(language: str, earnings: Earnings, period: Period) -> str:
    """The reply to /earnings."""
    name = t(language, f"earnings.period.{period.label}")
    head = t(
        language, "earnings.title", period=name, first=period.first_day.isoformat(),
        last=period.last_day.isoformat(),
    )  # fmt: skip
    if earnings.empty:
        return "\n".join([head, t(language, "earnings.none")])
    lines = [
        head,
        t(
            language,
            "earnings.orders",
            fulfilled=earnings.fulfilled,
            originated=earnings.originated,
        ),
    ]
    for figures in earnings.currencies:
        lines += figures_lines(language, figures)
    return "\n".join(lines)


def statement_text(
    language: str, dealer: str, period: Period, earnings: Earnings, payouts: list[PayoutLine]
) -> str:
    """A weekly statement (``dealer``: the store's name): figures, then what the payout did."""
    lines = [
        t(language, "statement.title", period=period.label, dealer=dealer,
          first=period.first_day.isoformat(), last=period.last_day.isoformat()),
        t(language, "earnings.orders", fulfilled=earnings.fulfilled,
          originated=earnings.originated),
    ]  # fmt: skip
    for figures in earnings.currencies:
        lines += figures_lines(language, figures)
    for line in payouts:
        if line.paid:
            lines.append(t(language, "statement.paid", amount=money(line.paid, line.currency)))
        if line.carried:
            owed = money(-line.carried, line.currency)
            lines.append(t(language, "statement.carried", amount=owed))
    if not payouts:
        lines.append(t(language, "statement.nothing"))
    return "\n".join(lines)


def period_word(args: list[str]) -> str | None:
    """The period asked for, in either language (``week`` when none is); None if unknown."""
    if not args:
        return DEFAULT_PERIOD
    word = PERIOD_WORDS.get(fold(args[0]).strip().lower())
    return word if word in RECENT and len(args) == 1 else None


async def earnings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/earnings [today|week|month]: what this owner's store earned, by kind and by state."""
    chat = await chat_of(update, context)
    if chat is None or not await allowed(update, chat, "earnings"):
        return
    assert chat.user is not None
    word = period_word(list(context.args or []))
    if word is None:
        await reply(update, chat.text("earnings.usage"))
        return
    runtime = chat.runtime
    period = recent(word, runtime.clock.now(), ZoneInfo(runtime.settings.settlement_tz))
    found = await dealer_earnings(runtime.db, chat.user.dealer_id, period.starts_at, period.ends_at)
    await reply(update, earnings_text(chat.language, found, period))
