"""Rendering helpers for chat: order references, amounts, times and inline buttons.

Pure functions of data, used by services that queue chat messages and by the bot alike.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from shared.money import format_amount

# Dealers read times in China's time zone; the offer deadline is shown as HH:MM there.
CHINA = timezone(timedelta(hours=8), "CST")
SYMBOLS = {
    "CNY": "¥", "JPY": "JP¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$",
    "TWD": "NT$", "SGD": "S$", "KRW": "₩",
}  # fmt: skip


def order_ref(order_id: str) -> str:
    """The short order number staff type: six characters of the id, upper case."""
    return order_id.removeprefix("o_")[:6].upper()


def keyboard(rows: list[list[tuple[str, str]]]) -> dict[str, Any]:
    """An inline keyboard from rows of (label, button id)."""
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in rows
        ]
    }


def money(minor: int, currency: str) -> str:
    """An amount as a dealer reads it: symbol, thousands grouped (``¥1,999.00``, ``-¥5.00``)."""
    text = format_amount(abs(minor), currency)
    whole, dot, part = text.partition(".")
    grouped = f"{int(whole):,}" + (dot + part if dot else "")
    symbol = SYMBOLS.get(currency)
    body = f"{symbol}{grouped}" if symbol else f"{grouped} {currency}"
    return f"-{body}" if minor < 0 else body
