"""`POST /v1/invites`: HQ invites a dealer's owner, staff, or an HQ operator to the bot;
`GET /v1/invites` lists the invitations made and who took them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from shared.audit import record
from shared.chat.identity import (
    HQ_ROLES,
    INVITE_STATES,
    create_invite,
    deep_link,
    invitations,
    invite_state,
)
from shared.db.uow import unit_of_work
from shared.http.access import caller, refuse
from shared.http.context import DIRECTORY, RUNTIME
from shared.http.errors import ApiError, read_body
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import Choice, Text, query, time_and_id
from shared.runtime import Runtime

HQ_DEALER = "hq"


class InviteBody(BaseModel):
    """Who the invitation is for."""

    model_config = ConfigDict(extra="forbid")

    dealer_id: str = Field(min_length=1, max_length=64)
    role: Literal["owner", "staff", "hq", "finance"]


class InviteView(BaseModel):
    """The code to give, and the link that opens the bot with it."""

    code: str
    deep_link: str
    dealer_id: str
    role: str
    expires_at: str


class InvitationView(BaseModel):
    """An invitation as HQ reviews it: never its code, which was shown once."""

    id: str  # a reference to it, not its code
    dealer_id: str
    role: str
    state: str  # open, used or expired
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: int | None  # the chat user who took it


class InvitationsPage(BaseModel):
    """Invitations newest first; ``next_cursor`` asks for the page after (null: no more)."""

    invitations: list[InvitationView]
    next_cursor: str | None


ROUTES = RouteTable()


@ROUTES.route(
    "GET", "/v1/invites", scope="invites:write",
    summary="Invitations newest first, with who took each; as CSV, every one",
    response=InvitationsPage,
    query=[
        Text("dealer_id", "only invitations to this dealer (hq: HQ's)"),
        Choice("state", "only open, used or expired ones", choices=INVITE_STATES),
        *list_params(500),
    ],
)  # fmt: skip
async def list_invites(request: web.Request) -> web.StreamResponse:
    """Every invitation made, by API, CLI or chat, newest first."""
    runtime, given = request.app[RUNTIME], query(request)
    dealer_id, state = given["dealer_id"], given["state"]

    async def read(cursor: list[str | int] | None, limit: int) -> list[InvitationView]:
        after = time_and_id(cursor, "invitations") if cursor else None
        now = runtime.clock.now()
        async with runtime.db.read() as session:
            found = await invitations(session, now, dealer_id, state, limit, after)
        return [
            InvitationView(
                id=i.code_hash[:16], dealer_id=i.dealer_id, role=i.role,
                state=invite_state(i, now), created_by=i.created_by, created_at=i.created_at,
                expires_at=i.expires_at, used_at=i.used_at, used_by=i.used_by,
            )
            for i in found
        ]  # fmt: skip

    return await answer_list(
        request, "invitations", InvitationView, read,
        lambda i: (i.created_at.isoformat(), i.id),
    )  # fmt: skip


@ROUTES.route(
    "POST", "/v1/invites", scope="invites:write", summary="Invite someone to the dealer bot",
    body=InviteBody, response=InviteView, status=201, errors=[404],
)  # fmt: skip
async def post_invite(request: web.Request) -> web.StreamResponse:
    """Create a single-use invitation for a dealer and role (HQ's for dealer ``hq``)."""
    runtime = request.app[RUNTIME]
    body = await read_body(request, InviteBody)
    who = caller(request)
    if body.role in HQ_ROLES and not who.is_admin:
        await _refused_hq_invite(runtime, who.actor, body.role)
        refuse(request, 403, "forbidden", "only an admin key (or `baton invite`) may invite HQ")
    dealer_id = HQ_DEALER if body.role in HQ_ROLES else body.dealer_id
    if body.role not in HQ_ROLES and not await request.app[DIRECTORY].has_dealer(dealer_id):
        raise ApiError(404, "not_found", f"no dealer {dealer_id!r}", field="dealer_id")
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        invite = await create_invite(uow, dealer_id, body.role, created_by=who.actor)
        record(
            uow.session,
            uow.clock.now(),
            who.actor,
            "invite.create",
            target=dealer_id,
            detail={"role": body.role, "expires_at": invite.expires_at.isoformat()},
        )
    view = InviteView(
        code=invite.code,
        deep_link=deep_link(runtime.settings.telegram_bot_username, invite.code),
        dealer_id=invite.dealer_id,
        role=invite.role,
        expires_at=invite.expires_at.isoformat(),
    )
    return web.json_response(view.model_dump(), status=201)


async def _refused_hq_invite(runtime: Runtime, actor: str, role: str) -> None:
    # Asking for HQ's powers without them is worth a line in the audit log, not just a 403.
    async with runtime.db.write() as session:
        record(session, runtime.clock.now(), actor, "invite.create", target=HQ_DEALER,
               allowed=False, detail={"role": role, "refused": "not an admin key"})  # fmt: skip
