"""The orders service's handler table: routing, offers, answers, handover.

Every handler is a module-level ``async def handler(msg, ctx, *deps)``: it loads the order
row-locked, asks the pure aggregate to make the move (it raises IllegalTransition and
changes nothing if the move is not allowed), saves it, and emits what follows through the
outbox. They live by concern: ``reservations`` (routing, the stock answers, opening a
round), ``answers`` (accept, decline, the deadline), ``handover`` (ready, pickup,
delivery).

``orders_handlers`` (with ``orders_batch_handlers``) is the one place their dependencies
are bound, with ``functools.partial`` as ``services.stock.handlers.stock_handlers`` does:
each handler's signature names the dependencies it uses (the Redis client and the routing
configuration for those that may route an order again, the pickup key for the pickup; none
for the others), so a test can call one with its own, and no handler reaches for a global.
"""

from __future__ import annotations

from functools import partial

from redis.asyncio import Redis

from services.catalog import public as catalog
from services.orders.answers import accept_offer, decline_offer, offer_deadline
from services.orders.dispatch import Routing
from services.orders.handover import confirm_delivery, confirm_pickup, mark_ready
from services.orders.reservations import (
    route_order,
    stock_reserved,
    stock_reserved_batch,
    stock_unavailable,
)
from shared.bus.handling import BatchHandler, Handler
from shared.messages import Message
from shared.messages.orders import (
    AcceptOffer,
    ConfirmDelivery,
    ConfirmPickup,
    DeclineOffer,
    MarkReady,
    OfferDeadline,
    RouteOrder,
    SetDealerPaused,
)
from shared.messages.stock import StockReserved, StockUnavailable


def orders_handlers(
    redis: Redis, routing: Routing, pickup_key: bytes
) -> dict[type[Message], Handler]:
    """The handler table; ``redis`` holds the geo index and stock view routing reads,
    ``pickup_key`` is the key pickup codes are hashed under."""
    return {
        RouteOrder: partial(route_order, redis=redis, routing=routing),
        StockReserved: partial(stock_reserved, redis=redis, routing=routing),
        StockUnavailable: partial(stock_unavailable, redis=redis, routing=routing),
        OfferDeadline: partial(offer_deadline, redis=redis, routing=routing),
        AcceptOffer: accept_offer,
        DeclineOffer: partial(decline_offer, redis=redis, routing=routing),
        MarkReady: mark_ready,
        ConfirmPickup: partial(confirm_pickup, pickup_key=pickup_key),
        ConfirmDelivery: confirm_delivery,
        SetDealerPaused: catalog.set_dealer_paused,
    }


def orders_batch_handlers(redis: Redis, routing: Routing) -> dict[type[Message], BatchHandler]:
    """The handlers of a run of one message type in a batch: the stock answers that open
    offer rounds, which come by the hundred in a burst."""
    return {StockReserved: partial(stock_reserved_batch, redis=redis, routing=routing)}
