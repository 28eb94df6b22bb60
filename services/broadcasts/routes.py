"""`POST /v1/broadcasts` (a notice to every dealer, or a region's), `GET /v1/broadcasts` and
`GET /v1/broadcasts/{id}`.

Callers hold a key with a broadcasts scope; each broadcast is in the audit log with the
key as its actor (``key:<id>/<name>``).
Price floors and promotions are broadcast by the rules that set them (``start_broadcast``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from services.broadcasts.fanout import audience_size, start_broadcast
from services.broadcasts.models import DRAFT, Broadcast
from services.broadcasts.render import MAX_TEXT
from services.broadcasts.stats import counts, summary
from shared.db.uow import unit_of_work
from shared.http.access import caller
from shared.http.context import RUNTIME
from shared.http.errors import ApiError, read_body
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import Choice, query, time_and_id


class BroadcastBody(BaseModel):
    """A notice from HQ."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT, description="the notice, any lines")
    region: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="only the dealers of this region, named in Chinese or English, any case "
        "(四川, Sichuan, sichuan); absent: every region",
    )  # fmt: skip
    requires_ack: bool = Field(default=False, description="show an Acknowledge button")


class BroadcastCreated(BaseModel):
    """The broadcast's id, and how many dealer chats it goes to."""

    id: str
    audience: int
    state: str


class BroadcastView(BaseModel):
    """A broadcast and how its delivery is going (see docs/architecture.md)."""

    id: str
    kind: str
    region: str | None
    state: str
    requires_ack: bool
    created_by: str
    created_at: str
    reminded_at: str | None
    params: dict[str, Any]
    audience: int
    queued: int
    sent: int
    delivered: int
    failed: int
    blocked: int
    acknowledged: int
    acknowledged_dealers: int


class BroadcastsPage(BaseModel):
    """Broadcasts newest first; ``next_cursor`` asks for the page after (null: no more)."""

    broadcasts: list[BroadcastView]
    next_cursor: str | None


ROUTES = RouteTable()
MAX_LIMIT = 100  # each row counts its deliveries and acknowledgements


@ROUTES.route(
    "GET", "/v1/broadcasts", scope="broadcasts:read",
    summary="Broadcasts newest first, with delivery and acks; as CSV, every one",
    response=BroadcastsPage,
    query=[
        Choice("kind", "only this kind", choices=("notice", "price", "promotion",
                                                  "promotion_end")),
        *list_params(MAX_LIMIT, default=20),
    ],
)  # fmt: skip
async def list_broadcasts(request: web.Request) -> web.StreamResponse:
    """Every broadcast sent (drafts not yet confirmed are not), newest first."""
    runtime, kind = request.app[RUNTIME], query(request)["kind"]

    async def read(cursor: list[str | int] | None, limit: int) -> list[BroadcastView]:
        newest = (
            select(Broadcast)
            .where(col(Broadcast.state) != DRAFT)
            .order_by(col(Broadcast.created_at).desc(), col(Broadcast.id).desc())
            .limit(limit)
        )
        if kind is not None:
            newest = newest.where(col(Broadcast.kind) == kind)
        if cursor:
            at, last_id = time_and_id(cursor, "broadcasts")
            newest = newest.where(
                (col(Broadcast.created_at) < at)
                | ((col(Broadcast.created_at) == at) & (col(Broadcast.id) < last_id))
            )
        async with runtime.db.read() as session:
            found = (await session.exec(newest)).all()
            return [BroadcastView(**summary(b, await counts(session, b))) for b in found]

    return await answer_list(
        request, "broadcasts", BroadcastView, read, lambda b: (b.created_at, b.id)
    )


@ROUTES.route(
    "POST", "/v1/broadcasts", scope="broadcasts:write", limit="broadcasts",
    summary="Send a notice to every dealer or a region's",
    body=BroadcastBody, response=BroadcastCreated, status=201,
)  # fmt: skip
async def post_broadcast(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    body = await read_body(request, BroadcastBody)
    text = body.text.strip()
    if not text:
        raise ApiError(422, "invalid", "the text is blank", field="text")
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        if not await audience_size(uow.session, body.region):
            where = f"region {body.region!r}" if body.region else "any region"
            raise ApiError(422, "no_audience", f"no dealer chat in {where}", field="region")
        broadcast_id = await start_broadcast(
            uow, kind="notice", params={"text": text}, region=body.region,
            created_by=caller(request).actor, requires_ack=body.requires_ack,
        )  # fmt: skip
        broadcast = await uow.session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        view = BroadcastCreated(id=broadcast.id, audience=broadcast.audience, state=broadcast.state)
    return web.json_response(
        view.model_dump(), status=201, headers={"Location": f"/v1/broadcasts/{view.id}"}
    )


@ROUTES.route(
    "GET", "/v1/broadcasts/{broadcast_id}", scope="broadcasts:read",
    summary="A broadcast's delivery and acks",
    response=BroadcastView,
)  # fmt: skip
async def get_broadcast(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    broadcast_id = request.match_info["broadcast_id"]
    async with runtime.db.read() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.state == DRAFT:
            raise ApiError(404, "not_found", f"no broadcast {broadcast_id!r}")
        view = BroadcastView(**summary(broadcast, await counts(session, broadcast)))
    return web.json_response(view.model_dump())
