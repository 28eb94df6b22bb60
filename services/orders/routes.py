"""HTTP routes of orders: the shop submits, HQ and the shop read, cancel and return; HQ
watches the offers about to expire."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from services.orders.aftercare import cancel, return_lines
from services.orders.domain.body import OrderBody
from services.orders.domain.order import IllegalTransition
from services.orders.domain.status import OrderStatus
from services.orders.intake import IntakeError, OrderConflict
from services.orders.intake_queue import IntakeQueue
from services.orders.listing import OrderFilter, OrderSummary, list_orders
from services.orders.models import RoutingRow
from services.orders.open_offers import OfferFilter, OpenOffer, open_offers
from services.orders.repository import Loaded, load_order, offers_of
from services.orders.view import order_view
from shared.db.uow import UnitOfWork, unit_of_work
from shared.http.access import caller, refuse
from shared.http.context import RUNTIME
from shared.http.errors import ApiError, read_body, read_json
from shared.http.lists import answer_list, list_params, no_rows
from shared.http.openapi import RouteTable
from shared.http.params import Choice, DayOrTime, Int, Text, query, time_and_id
from shared.times import range_bound


class Created(BaseModel):
    """The answer to a new order; ``pickup_code`` is shown here only, once."""

    id: str
    status: str
    pickup_code: str | None = None


class CancelBody(BaseModel):
    """Why the order is cancelled."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="cancelled by the shop", min_length=1, max_length=200)


class ReturnLine(BaseModel):
    """Units of one SKU coming back."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    qty: int = Field(gt=0, le=100_000)


class ReturnBody(BaseModel):
    """`POST /v1/orders/{id}/returns`."""

    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLine] = Field(min_length=1, max_length=200)


class OrdersPage(BaseModel):
    """Orders newest first; ``next_cursor`` asks for the page after (null: no more)."""

    orders: list[OrderSummary]
    next_cursor: str | None


MAX_LIMIT = 500
MAX_EXPIRING_WITHIN = 7 * 24 * 3600  # seconds: a week, far beyond any offer's timeout
INTAKE = web.AppKey("intake", IntakeQueue)


def attach(app: web.Application) -> None:
    """Give the API its intake queue (one per process), finished when the API stops."""
    queue = IntakeQueue(app[RUNTIME])
    app[INTAKE] = queue

    async def finish(_app: web.Application) -> None:
        await queue.close()

    app.on_cleanup.append(finish)


# What a route does to the loaded order, inside the unit of work _change opens.
Change = Callable[[UnitOfWork, Loaded], Awaitable[None]]


ROUTES = RouteTable()


@ROUTES.route(
    "POST", "/v1/orders", scope="orders:write", limit="orders",
    summary="Submit an order (idempotent on channel and external_id)",
    body=OrderBody, response=Created, status=201, errors=[409],
)  # fmt: skip
async def post_order(request: web.Request) -> web.StreamResponse:
    """Take an order in: 201 with its pickup code when new, 200 when sent again."""
    data = await read_json(request)
    key = caller(request)
    channel = key.channel
    sent_for = data.get("channel") if isinstance(data, dict) else None
    if channel is not None and sent_for is not None and sent_for != channel:  # none: a 422
        refuse(request, 403, "forbidden", f"this API key posts orders of channel {channel!r} only")
    try:
        received = await request.app[INTAKE].receive(data, key.actor)
    except IntakeError as exc:
        raise ApiError(
            422, "invalid", "some fields are invalid", fields=[e.to_dict() for e in exc.errors]
        ) from None
    except OrderConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    body = Created(id=received.row.id, status=received.row.status, pickup_code=received.pickup_code)
    return web.json_response(
        body.model_dump(exclude_none=True), status=201 if received.created else 200
    )


@ROUTES.route(
    "GET", "/v1/orders", scope="orders:read",
    summary="Orders, newest first, filtered; as CSV, every one from the cursor on",
    response=OrdersPage,
    query=[
        Choice("status", "only orders in this status", choices=tuple(OrderStatus)),
        Text("channel", "only orders of this shop channel"),
        Text("region", "only orders whose customer is in this region"),
        Text("fulfilling_dealer", "only orders this dealer fulfils"),
        Text("originating_dealer", "only orders this dealer's customers placed"),
        DayOrTime("from", "created on or after this day (HQ's time zone) or time"),
        DayOrTime("to", "created up to this day, included, or before this time"),
        Text("q", "the shop's external id (or its start), the order's id or its 6-character "
             "number", max_length=128),
        *list_params(MAX_LIMIT),
    ],
)  # fmt: skip
async def get_orders(request: web.Request) -> web.StreamResponse:
    """The orders the caller may see (a channel's key: its channel's), newest first."""
    runtime = request.app[RUNTIME]
    given = query(request)
    zone = ZoneInfo(runtime.settings.hq_timezone)
    channel, visible = caller(request).channel_of_list(given["channel"])
    if not visible:
        return await answer_list(request, "orders", OrderSummary, no_rows, _order_key)
    where = OrderFilter(
        status=given["status"], channel=channel, region=given["region"],
        fulfilling_dealer_id=given["fulfilling_dealer"],
        originating_dealer_id=given["originating_dealer"],
        since=range_bound(given["from"], zone, end=False) if given["from"] else None,
        until=range_bound(given["to"], zone, end=True) if given["to"] else None,
        text=given["q"],
    )  # fmt: skip

    async def read(cursor: list[str | int] | None, limit: int) -> list[OrderSummary]:
        after = time_and_id(cursor, "orders") if cursor else None
        async with runtime.db.read() as session:
            return await list_orders(session, where, limit, after)

    return await answer_list(request, "orders", OrderSummary, read, _order_key)


def _order_key(order: OrderSummary) -> tuple[str, str]:
    return order.created_at.isoformat(), order.id


class OffersPage(BaseModel):
    """Open offers soonest to expire first; ``next_cursor`` asks for the page after."""

    offers: list[OpenOffer]
    next_cursor: str | None


@ROUTES.route(
    "GET", "/v1/offers", scope="orders:read",
    summary="Offers waiting in dealers' chats, soonest to expire first; as CSV, every one",
    response=OffersPage,
    query=[
        Choice("state", "open: in a dealer's chat, not answered yet (the default)",
               choices=("open",), default="open"),
        Int("expiring_within", "only those expiring within this many seconds from now",
            low=0, high=MAX_EXPIRING_WITHIN),
        *list_params(MAX_LIMIT),
    ],
)  # fmt: skip
async def get_offers(request: web.Request) -> web.StreamResponse:
    """The open offers of the orders the caller may see (a channel's key: its channel's)."""
    runtime, given = request.app[RUNTIME], query(request)
    now = runtime.clock.now()
    channel, _ = caller(request).channel_of_list(None)
    within = given["expiring_within"]
    where = OfferFilter(
        channel=channel, until=now + timedelta(seconds=within) if within is not None else None
    )

    async def read(cursor: list[str | int] | None, limit: int) -> list[OpenOffer]:
        after = time_and_id(cursor, "offers") if cursor else None
        async with runtime.db.read() as session:
            return await open_offers(session, where, now, limit, after)

    return await answer_list(
        request, "offers", OpenOffer, read, lambda o: (o.expires_at.isoformat(), o.offer_id)
    )


@ROUTES.route(
    "GET", "/v1/orders/{order_id}", scope="orders:read",
    summary="An order: status, dealers, offers, stock reservations, pricing, timeline, routing",
)  # fmt: skip
async def get_order(request: web.Request) -> web.StreamResponse:
    """The order as the orders service knows it (``view.order_view``)."""
    runtime = request.app[RUNTIME]
    order_id = request.match_info["order_id"]
    async with runtime.db.read() as session:
        loaded = _check_seen(request, await load_order(session, order_id, lock=False), order_id)
        offers = await offers_of(session, order_id)
        decisions = (
            await session.exec(select(RoutingRow).where(col(RoutingRow.order_id) == order_id))
        ).all()
    ordered = sorted(decisions, key=lambda d: d.attempt)
    return web.json_response(order_view(loaded, offers, ordered))


@ROUTES.route(
    "POST", "/v1/orders/{order_id}/cancel", scope="orders:write", summary="Cancel before handover",
    body=CancelBody, errors=[409],
)  # fmt: skip
async def cancel_order(request: web.Request) -> web.StreamResponse:
    """Cancel the order before handover; a body with a reason is optional."""
    body = await read_body(request, CancelBody) if request.can_read_body else CancelBody()
    actor = caller(request).actor
    return await _change(request, partial(_cancel, reason=body.reason, actor=actor))


@ROUTES.route(
    "POST", "/v1/orders/{order_id}/returns", scope="orders:write",
    summary="Return some or all lines",
    body=ReturnBody, errors=[409],
)  # fmt: skip
async def return_order(request: web.Request) -> web.StreamResponse:
    """Return units of the order's lines; the same SKU named twice adds up."""
    body = await read_body(request, ReturnBody)
    lines: dict[str, int] = {}
    for line in body.lines:
        lines[line.sku] = lines.get(line.sku, 0) + line.qty
    return await _change(request, partial(_return, lines=lines, actor=caller(request).actor))


async def _cancel(uow: UnitOfWork, loaded: Loaded, reason: str, actor: str) -> None:
    await cancel(uow, loaded, reason, actor)


async def _return(uow: UnitOfWork, loaded: Loaded, lines: dict[str, int], actor: str) -> None:
    await return_lines(uow, loaded, lines, actor)


def _check_seen(request: web.Request, loaded: Loaded | None, order_id: str) -> Loaded:
    # An order of another channel than the key's is as unknown as one that does not exist.
    if loaded is None:
        raise ApiError(404, "not_found", f"no order {order_id!r}")
    if not caller(request).sees_channel(loaded.row.channel):
        refuse(request, 404, "not_found", f"no order {order_id!r}")
    return loaded


async def _change(request: web.Request, action: Change) -> web.StreamResponse:
    # Apply ``action`` to the order of the path in one unit of work; a refused move is a 409.
    runtime = request.app[RUNTIME]
    order_id = request.match_info["order_id"]
    try:
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            loaded = _check_seen(request, await load_order(uow.session, order_id), order_id)
            await action(uow, loaded)
    except IllegalTransition as exc:
        raise ApiError(409, "not_allowed", str(exc)) from None
    return web.json_response({"id": order_id, "status": str(loaded.order.status)})
