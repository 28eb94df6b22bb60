"""/prices: the floors in force and the promotions of the dealer's region (HQ: every region)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import Update

from bots.dealer.context import BotContext, BoundChat, Chat, reply
from bots.dealer.guard import command
from bots.dealer.rule_texts import fit, hq_zone, items_text, when
from services.catalog import public as catalog
from services.pricing.public import ProductFloor, Promotion, discount_text, price_list
from shared.chat.zones import zone_name
from shared.money import format_amount
from shared.regions import region_name

SHOWN_FLOORS = 30  # /prices lists this many products, then says how many more
SHOWN_PROMOTIONS = 15


@command("prices")
async def prices(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/prices: the floors in force and the promotions for this dealer's region (HQ: all)."""
    now = chat.runtime.clock.now()
    async with chat.runtime.db.read() as session:
        region = None
        if chat.user.role != "hq":
            dealer = await catalog.dealer(session, chat.user.dealer_id)
            region = dealer.region if dealer is not None else ""
        floors, promotions = await price_list(session, region, now)
    await reply(update, prices_text(chat, floors, promotions, region, now))


def prices_text(
    chat: Chat,
    floors: Sequence[ProductFloor],
    promotions: Sequence[Promotion],
    region: str | None,
    now: datetime,
) -> str:
    """The reply to /prices."""
    zone = hq_zone(chat)
    lines = [chat.text("prices.floors") if floors else chat.text("prices.no_products")]
    for item in floors[:SHOWN_FLOORS]:
        floor = format_amount(item.floor.amount, item.currency)
        lines.append(chat.text("prices.floor", sku=item.sku, name=item.name, floor=floor,
                               currency=item.currency))  # fmt: skip
        if item.next_floor is not None:
            later = format_amount(item.next_floor.floor, item.currency)
            at = when(item.next_floor.effective_at, zone)
            lines.append(chat.text("prices.next", floor=later, currency=item.currency, at=at))
    if len(floors) > SHOWN_FLOORS:
        lines.append(chat.text("prices.more", count=len(floors) - SHOWN_FLOORS))
    where = region_name(region, chat.language) if region else chat.text("promo.everywhere")
    lines.append("")
    if not promotions:
        lines.append(chat.text("prices.no_promos", region=where))
    else:
        lines.append(chat.text("prices.promos", region=where,
                               zone=zone_name(zone, chat.language, now)))  # fmt: skip
    for p in promotions[:SHOWN_PROMOTIONS]:
        state = "live" if p.starts_at <= now else "scheduled"
        left = "" if p.unit_cap is None else " " + chat.text(
            "prices.left", left=max(0, p.unit_cap - p.units_sold)
        )  # fmt: skip
        lines.append(chat.text(
            f"prices.promo.{state}", name=p.name,
            discount=discount_text(p.percent_off, p.amount_off, p.currency),
            items=items_text(chat, p.skus, p.categories), starts=when(p.starts_at, zone),
            ends=when(min(p.ends_at, p.ended_at or p.ends_at), zone),
        ) + left)  # fmt: skip
    if len(promotions) > SHOWN_PROMOTIONS:
        lines.append(chat.text("prices.more_promos", count=len(promotions) - SHOWN_PROMOTIONS))
    return fit(lines)
