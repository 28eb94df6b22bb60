"""What the bot shows: texts and inline keyboards, built from data, no I/O."""

from __future__ import annotations

from bots.dealer.models import BotOrder
from shared.chat.i18n import t
from shared.chat.render import CHINA, order_ref
from shared.messages.orders import OfferLine, OrderOffered
from shared.regions import region_name

OPEN_STATUSES = ("offered", "accepted", "ready_for_pickup", "out_for_delivery")


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
