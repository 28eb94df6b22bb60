"""Turns order status changes into webhook deliveries, in the consumer's transaction."""

from __future__ import annotations

import json
from functools import partial

from services.webhooks.models import WebhookDelivery
from shared.bus.handling import Context, Handler
from shared.messages import Message
from shared.messages.orders import OrderStatusChanged


def webhook_body(event: OrderStatusChanged, event_id: str) -> str:
    """The JSON the shop receives for one status change."""
    return json.dumps(
        {
            "event_id": event_id,
            "type": "order.status_changed",
            "order_id": event.order_id,
            "external_id": event.external_id,
            "channel": event.channel,
            "status": event.status,
            "previous": event.previous,
            "at": event.at.isoformat(),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


async def queue_delivery(event: OrderStatusChanged, ctx: Context, url: str) -> None:
    """Queue the shop's webhook for a status change, in the consumer's transaction."""
    now = ctx.clock.now()
    ctx.uow.session.add(
        WebhookDelivery(
            id=ctx.envelope.id,
            url=url,
            body=webhook_body(event, ctx.envelope.id),
            next_attempt_at=now,
            created_at=now,
        )
    )


def handlers_for(url: str) -> dict[type[Message], Handler]:
    """The handler table of the webhooks group, posting to ``url``."""
    return {OrderStatusChanged: partial(queue_delivery, url=url)}
