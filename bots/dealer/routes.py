"""`POST /v1/invites`: HQ invites a dealer's owner, staff, or an HQ operator to the bot."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from shared.audit import record
from shared.chat.identity import create_invite, deep_link
from shared.db.uow import unit_of_work
from shared.http.access import caller, refuse
from shared.http.context import DIRECTORY, RUNTIME
from shared.http.errors import ApiError, read_body
from shared.http.openapi import RouteTable
from shared.runtime import Runtime

HQ_DEALER = "hq"


class InviteBody(BaseModel):
    """Who the invitation is for."""

    model_config = ConfigDict(extra="forbid")

    dealer_id: str = Field(min_length=1, max_length=64)
    role: Literal["owner", "staff", "hq"]


class InviteView(BaseModel):
    """The code to give, and the link that opens the bot with it."""

    code: str
    deep_link: str
    dealer_id: str
    role: str
    expires_at: str


ROUTES = RouteTable()


@ROUTES.route(
    "POST", "/v1/invites", scope="invites:write", summary="Invite someone to the dealer bot",
    body=InviteBody, response=InviteView, status=201, errors=[404],
)  # fmt: skip
async def post_invite(request: web.Request) -> web.StreamResponse:
    """Create a single-use invitation for a dealer and role (HQ's for dealer ``hq``)."""
    runtime = request.app[RUNTIME]
    body = await read_body(request, InviteBody)
    who = caller(request)
    if body.role == "hq" and not who.is_admin:
        await _refused_hq_invite(runtime, who.actor)
        refuse(request, 403, "forbidden", "only an admin key (or `baton invite`) may invite HQ")
    dealer_id = HQ_DEALER if body.role == "hq" else body.dealer_id
    if body.role != "hq" and not await request.app[DIRECTORY].has_dealer(dealer_id):
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


async def _refused_hq_invite(runtime: Runtime, actor: str) -> None:
    # Asking for HQ's powers without them is worth a line in the audit log, not just a 403.
    async with runtime.db.write() as session:
        record(session, runtime.clock.now(), actor, "invite.create", target=HQ_DEALER,
               allowed=False, detail={"role": "hq", "refused": "not an admin key"})  # fmt: skip
