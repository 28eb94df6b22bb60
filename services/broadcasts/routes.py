"""`POST /v1/broadcasts` (a notice to every dealer, or a region's) and its preview,
`GET /v1/broadcasts`, `GET /v1/broadcasts/{id}` and its recipients.

Callers hold a key with a broadcasts scope; each broadcast is in the audit log with the
key as its actor (``key:<id>/<name>``).
Price floors and promotions are broadcast by the rules that set them (``start_broadcast``).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts.fanout import audience_size, start_broadcast
from services.broadcasts.models import DRAFT, Broadcast
from services.broadcasts.preview import preview
from services.broadcasts.recipients import FILTERS, recipients
from services.broadcasts.render import MAX_TEXT
from services.broadcasts.stats import counts, summary
from services.catalog import public as catalog
from shared.db.uow import unit_of_work
from shared.http.access import caller
from shared.http.context import RUNTIME
from shared.http.errors import ApiError, read_body
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import Choice, one_key, query, time_and_id


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


class BroadcastPreview(BaseModel):
    """What a notice would be: each dealer's text and how many dealer chats it would reach."""

    kind: str = Field(description="notice")
    region: str | None = Field(description="the region asked for; null: every region")
    requires_ack: bool
    audience: int = Field(description="the dealer chats it would go to now")
    messages: dict[str, str] = Field(
        description="the message as dealers would read it, by language (en, zh)"
    )


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
MAX_RECIPIENTS = 1000


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
    body, text = await _notice(request)
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        await _audience(uow.session, body.region)
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
    "POST", "/v1/broadcasts/preview", scope="broadcasts:write", limit="reads",
    summary="What POST /v1/broadcasts would send, and to how many dealer chats; sends nothing",
    body=BroadcastBody, response=BroadcastPreview,
)  # fmt: skip
async def preview_broadcast(request: web.Request) -> web.StreamResponse:
    """The notice as each dealer would read it, and its audience: the create route's checks,
    its 422s included, and nothing stored, audited or sent."""
    runtime = request.app[RUNTIME]
    body, text = await _notice(request)
    async with runtime.db.read() as session:
        shown = await preview(session, kind="notice", params={"text": text}, region=body.region)
    if not shown.audience:
        raise _no_audience(body.region)
    view = BroadcastPreview(
        kind=shown.kind, region=shown.region, requires_ack=body.requires_ack,
        audience=shown.audience, messages=shown.messages,
    )  # fmt: skip
    return web.json_response(view.model_dump())


async def _notice(request: web.Request) -> tuple[BroadcastBody, str]:
    """The body of a notice and its text, stripped; a 422 for a blank one."""
    body = await read_body(request, BroadcastBody)
    text = body.text.strip()
    if not text:
        raise ApiError(422, "invalid", "the text is blank", field="text")
    return body, text


async def _audience(session: AsyncSession, region: str | None) -> None:
    """A 422 ``no_audience`` if no dealer chat is in ``region`` (None: any region)."""
    if not await audience_size(session, region):
        raise _no_audience(region)


def _no_audience(region: str | None) -> ApiError:
    where = f"region {region!r}" if region else "any region"
    return ApiError(422, "no_audience", f"no dealer chat in {where}", field="region")


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


class RecipientView(BaseModel):
    """One chat a broadcast was queued for: never a name or a phone, only ids."""

    chat_id: int
    dealer_id: str
    dealer_name: str | None = Field(description="the store's name in the catalog")
    user_id: int = Field(description="the chat user it was queued for (as the audit names "
                         "them: tg:<user_id>)")  # fmt: skip
    language: str = Field(description="the language of its text")
    state: str = Field(description="queued, sent, failed, blocked or acknowledged")
    sent_at: datetime | None = Field(description="when Telegram took the message")
    acknowledged_at: datetime | None
    acknowledged_by: int | None = Field(description="the chat user who pressed Acknowledge")


class RecipientsPage(BaseModel):
    """A broadcast's recipients by chat id; ``next_cursor`` asks for the page after."""

    broadcast_id: str
    recipients: list[RecipientView]
    next_cursor: str | None


@ROUTES.route(
    "GET", "/v1/broadcasts/{broadcast_id}/recipients", scope="broadcasts:read",
    summary="Each chat a broadcast was queued for, its delivery and acknowledgement; as CSV, "
    "every one",
    response=RecipientsPage,
    query=[
        Choice("state", "only recipients in this state; unacknowledged: sent and not "
               "acknowledged", choices=FILTERS),
        *list_params(MAX_RECIPIENTS),
    ],
)  # fmt: skip
async def list_recipients(request: web.Request) -> web.StreamResponse:
    """Who a broadcast reached and who has not acknowledged it, by chat id."""
    runtime = request.app[RUNTIME]
    broadcast_id, state = request.match_info["broadcast_id"], query(request)["state"]
    async with runtime.db.read() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.state == DRAFT:
        raise ApiError(404, "not_found", f"no broadcast {broadcast_id!r}")

    async def read(cursor: list[str | int] | None, limit: int) -> list[RecipientView]:
        after = one_key(cursor, int, "recipients")
        async with runtime.db.read() as session:
            found = await recipients(session, broadcast_id, state=state, limit=limit, after=after)
            names = await catalog.dealer_names(session, {r.dealer_id for r in found})
        return [
            RecipientView(dealer_name=names.get(r.dealer_id), **dataclasses.asdict(r))
            for r in found
        ]

    return await answer_list(
        request, "recipients", RecipientView, read, lambda r: (r.chat_id,),
        {"broadcast_id": broadcast_id},
    )  # fmt: skip
