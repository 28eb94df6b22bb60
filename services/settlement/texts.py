"""Earnings and weekly statements as a dealer reads them in chat, in their language."""

from __future__ import annotations

from services.settlement.earnings import Earnings, Figures
from services.settlement.models import PayoutLine
from services.settlement.periods import Period
from shared.chat.i18n import t
from shared.chat.render import money


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
