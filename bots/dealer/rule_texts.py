"""How price rules read in chat: times in HQ's zone, lists cut short, one message at most.

Shared by HQ's previews (``bots.dealer.rules``) and the dealers' ``/prices``
(``bots.dealer.prices``), so a promotion reads the same in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from bots.dealer.context import Chat
from services.pricing.public import PromotionBody, discount_text
from shared.chat.zones import zone_name
from shared.regions import region_name

SHOWN_ITEMS = 8  # SKUs, categories or regions named in one line
MAX_TEXT = 4000  # Telegram takes 4,096 characters


def hq_zone(chat: Chat) -> tzinfo:
    """HQ's time zone, which promotion windows and floor times are shown in."""
    return ZoneInfo(chat.runtime.settings.hq_timezone)


def when(moment: datetime, zone: tzinfo) -> str:
    """A moment as HQ reads it: date and minute in ``zone``."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def listed(names: Sequence[str]) -> str:
    """The first few names, and how many more there are."""
    more = len(names) - SHOWN_ITEMS
    return ", ".join(names[:SHOWN_ITEMS]) + (f" … (+{more})" if more > 0 else "")


def items_text(chat: Chat, skus: Sequence[str], categories: Sequence[str]) -> str:
    """What a promotion covers: its SKUs, then its categories."""
    return listed([*skus, *(chat.text("promo.category_item", category=c) for c in categories)])


def fit(lines: list[str]) -> str:
    """The lines as one message within Telegram's length, cut at a line if need be."""
    text = "\n".join(lines)
    if len(text) <= MAX_TEXT:
        return text
    return text[: text.rfind("\n", 0, MAX_TEXT - 2)] + "\n…"


def promo_summary(chat: Chat, body: PromotionBody, zone: tzinfo) -> str:
    """A promotion about to be created, field by field, for HQ's preview."""
    names = [region_name(r, chat.language) for r in body.regions]
    regions = listed(names) or chat.text("promo.everywhere")
    cap = str(body.unit_cap) if body.unit_cap is not None else chat.text("promo.no_cap")
    return chat.text(
        "promo.summary", name=body.name,
        discount=discount_text(body.percent_bp, body.amount_minor, body.currency),
        items=items_text(chat, body.skus, body.categories), starts=when(body.starts_at, zone),
        ends=when(body.ends_at, zone), zone=zone_name(zone, chat.language, body.starts_at),
        regions=regions,
        funder=chat.text(f"promo.funder.{body.funded_by}"), cap=cap,
        stack=chat.text("promo.stack.yes" if body.stackable else "promo.stack.no"),
    )  # fmt: skip
