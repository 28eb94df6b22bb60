"""What the bot shows: texts and inline keyboards, built from data, no I/O."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from bots.dealer.i18n import t
from bots.dealer.models import BotOrder
from shared.messages.orders import OfferLine, OrderOffered
from shared.regions import region_name

OPEN_STATUSES = ("offered", "accepted", "ready_for_pickup", "out_for_delivery")
# Dealers read times in China's time zone; the offer deadline is shown as HH:MM there.
CHINA = timezone(timedelta(hours=8), "CST")


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


def offer_text(language: str, offer: OrderOffered) -> str:
    """The offer message: what, how, where (no customer details before acceptance), by when."""
    deadline = offer.deadline.astimezone(CHINA).strftime("%H:%M")
    lines = [t(language, "offer.title", ref=order_ref(offer.order_id), deadline=deadline)]
    lines += [_line(language, ln) for ln in offer.lines]
    if offer.fulfilment == "pickup":
        lines.append(t(language, "offer.pickup"))
    else:
        lines.append(t(language, "offer.delivery", distance=f"{offer.distance_km:.1f}"))
    if offer.needs_installation:
        lines.append(t(language, "offer.installation"))
    district = offer.district
    if offer.region:  # the region's name in the reader's language, not as the shop spelt it
        name = region_name(offer.region, language)
        district = t(language, "offer.district", city=offer.city, region=name)
    lines.append(t(language, "offer.where", district=district))
    return "\n".join(lines)


def _line(language: str, line: OfferLine) -> str:
    return t(language, "offer.line", qty=line.qty, name=line.name, sku=line.sku)


def order_line_text(language: str, order: BotOrder) -> str:
    """One line of /orders."""
    items = ", ".join(f"{ln['qty']}×{ln['name']}" for ln in order.lines)
    status = (
        t(language, f"status.{order.status}") if order.status in OPEN_STATUSES else order.status
    )
    return t(language, "orders.line", ref=order.ref, status=status, items=items)


def stock_text(language: str, dealer: str, levels: dict[str, int]) -> str:
    """The reply to /stock (``dealer``: the store's name)."""
    if not levels:
        return t(language, "stock.none")
    lines = [t(language, "stock.title", dealer=dealer)]
    lines += [t(language, "stock.line", sku=sku, available=n) for sku, n in sorted(levels.items())]
    return "\n".join(lines)
