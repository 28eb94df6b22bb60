"""`/v1/keys`: an admin key makes, lists and revokes API keys (as `baton keys` does)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.access.keys import Authenticator, BadKeyRequest, KeyView, create_key, list_keys
from services.access.keys import revoke_key as revoke
from shared.http.access import ADMIN, caller
from shared.http.context import DIRECTORY, RUNTIME
from shared.http.errors import ApiError, read_body
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import time_and_id

ID = r"^[A-Za-z0-9_.:-]{1,64}$"  # channels and dealer ids, as elsewhere
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
MAX_PAGE = 500


class KeyBody(BaseModel):
    """A key to make: its name, scopes (or preset names) and what it is bound to."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    scopes: list[str] = Field(min_length=1, max_length=20)
    channel: str | None = Field(default=None, pattern=ID)
    dealer_id: str | None = Field(default=None, pattern=ID)
    expires_at: datetime | None = None


class KeyOut(BaseModel):
    """A key as lists show it: never its secret."""

    id: str
    name: str
    scopes: list[str]
    channel: str | None
    dealer_id: str | None
    state: str
    created_by: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None

    @classmethod
    def of(cls, view: KeyView, now: datetime) -> KeyOut:
        """The answer for ``view`` at ``now``."""

        def iso(at: datetime | None) -> str | None:
            return at.isoformat() if at is not None else None

        return cls(
            id=view.id, name=view.name, scopes=list(view.scopes), channel=view.channel,
            dealer_id=view.dealer_id, state=view.state(now), created_by=view.created_by,
            created_at=view.created_at.isoformat(), expires_at=iso(view.expires_at),
            last_used_at=iso(view.last_used_at), revoked_at=iso(view.revoked_at),
        )  # fmt: skip


class NewKeyOut(KeyOut):
    """A key just made, with its token: shown this once, stored only as a hash."""

    token: str


class KeyList(BaseModel):
    """A page of keys, oldest first; ``next_cursor`` asks for the next (null: no more)."""

    keys: list[KeyOut]
    next_cursor: str | None


ROUTES = RouteTable()


@ROUTES.route(
    "POST", "/v1/keys", scope=ADMIN, summary="Make an API key (its token is shown once)",
    body=KeyBody, response=NewKeyOut, status=201, errors=[404],
)  # fmt: skip
async def post_key(request: web.Request) -> web.StreamResponse:
    """Make a key with the scopes given, bound to a channel or a dealer if given."""
    runtime = request.app[RUNTIME]
    body = await read_body(request, KeyBody)
    if body.dealer_id is not None and not await request.app[DIRECTORY].has_dealer(body.dealer_id):
        raise ApiError(404, "not_found", f"no dealer {body.dealer_id!r}", field="dealer_id")
    if body.expires_at is not None and body.expires_at.tzinfo is None:
        raise ApiError(422, "invalid", "give the expiry with its offset", field="expires_at")
    try:
        view, token = await create_key(
            runtime.db, runtime.clock, name=body.name, scopes=body.scopes,
            created_by=caller(request).actor, channel=body.channel, dealer_id=body.dealer_id,
            expires_at=body.expires_at,
        )  # fmt: skip
    except BadKeyRequest as exc:
        raise ApiError(422, "invalid", str(exc), field="scopes") from None
    out = NewKeyOut(**KeyOut.of(view, runtime.clock.now()).model_dump(), token=token)
    return web.json_response(out.model_dump(), status=201)


@ROUTES.route(
    "GET", "/v1/keys", scope=ADMIN,
    summary="The API keys, oldest first; as CSV, every one", response=KeyList,
    query=list_params(MAX_PAGE),
)  # fmt: skip
async def get_keys(request: web.Request) -> web.StreamResponse:
    """The keys with their state; never a secret."""
    runtime = request.app[RUNTIME]

    async def read(cursor: list[str | int] | None, limit: int) -> list[KeyOut]:
        after = time_and_id(cursor, "API keys") if cursor else None
        views = await list_keys(runtime.db, limit=limit, after=after)
        now = runtime.clock.now()
        return [KeyOut.of(view, now) for view in views]

    return await answer_list(request, "keys", KeyOut, read, lambda k: (k.created_at, k.id))


@ROUTES.route(
    "POST", "/v1/keys/{key_id}/revoke", scope=ADMIN, summary="Revoke an API key",
    response=KeyOut,
)  # fmt: skip
async def revoke_key(request: web.Request) -> web.StreamResponse:
    """Revoke the key: refused from now on (at once here, within 2 s on other replicas)."""
    runtime = request.app[RUNTIME]
    key_id = request.match_info["key_id"]
    view = await revoke(runtime.db, runtime.clock, key_id, by=caller(request).actor)
    if view is None:
        raise ApiError(404, "not_found", f"no API key {key_id!r}", field="key_id")
    request.app[AUTHENTICATOR].forget(key_id)
    return web.json_response(KeyOut.of(view, runtime.clock.now()).model_dump())
