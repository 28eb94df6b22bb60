"""Who is calling the HTTP API, and what that caller may do.

Every request to ``/v1/`` carries ``Authorization: Bearer <key>``. The auth middleware
turns the key into a ``Caller`` (or answers 401); each route declares the one scope it
needs, and ``authorize`` checks it before the handler runs (or answers 403). A key bound
to a dealer may use only the routes of that dealer (``{dealer_id}`` in the path); a key
bound to a channel sees only that channel's orders, which the order routes check, since
only they know an order's channel. Refusals never say more than they must: another
dealer's or channel's object is "not found" (404), so ids do not leak.

Every refusal is logged (the key's id, never the token) and counted for ``/metrics``.
"""

from __future__ import annotations

import hmac
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web

from shared.http.problems import ApiError

log = logging.getLogger(__name__)

ADMIN = "admin"
# Every scope a key can hold, and what it lets a caller do. ``X:write`` includes ``X:read``;
# ``admin`` includes every scope, and alone manages keys and invites HQ.
SCOPES: dict[str, str] = {
    "orders:write": "post orders of its channel, cancel and return them",
    "orders:read": "read orders (of its channel, if the key has one)",
    "catalog:write": "create and change products and dealers",
    "catalog:read": "read products and dealers",
    "stock:write": "report dealers' stock counts",
    "stock:read": "read dealers' stock levels",
    "pricing:write": "set price floors, create and end promotions",
    "pricing:read": "read price floors and promotions",
    "broadcasts:write": "send notices to dealers",
    "broadcasts:read": "read broadcasts and their acknowledgements",
    "invites:write": "invite dealers' staff to the bot (not HQ: that is admin's)",
    "audit:read": "read the audit log",
    "finance:read": "read dealers' earnings",
    "stats:read": "read HQ's statistics: orders over time, offers, dealers' scorecards",
    ADMIN: "everything, including API keys and invitations for HQ",
}
# Named sets of scopes for the people who use Baton; ``baton keys create --scope shop``.
PRESETS: dict[str, tuple[str, ...]] = {
    "shop": ("orders:write",),
    "sync": ("catalog:write", "stock:write"),
    "hq": (
        "catalog:write",
        "stock:write",
        "pricing:write",
        "broadcasts:write",
        "invites:write",
        "audit:read",
        "orders:read",
        "finance:read",
        "stats:read",
    ),
    "finance": ("finance:read", "orders:read", "audit:read", "stats:read"),
    "readonly": tuple(s for s in SCOPES if s.endswith(":read")),
}


def expand_scopes(given: Iterable[str]) -> frozenset[str]:
    """The scopes named by ``given`` (scopes or preset names); ValueError names a bad one."""
    scopes: set[str] = set()
    for name in given:
        name = name.strip()
        if name in PRESETS:
            scopes.update(PRESETS[name])
        elif name in SCOPES:
            scopes.add(name)
        else:
            known = ", ".join([*SCOPES, *PRESETS])
            raise ValueError(f"unknown scope {name!r}; one of: {known}")
    if not scopes:
        raise ValueError("a key needs at least one scope")
    return frozenset(scopes)


@dataclass(frozen=True)
class Caller:
    """An authenticated API key: its id, name, scopes and what it is bound to."""

    key_id: str
    name: str
    scopes: frozenset[str]
    channel: str | None = None
    dealer_id: str | None = None
    person: str | None = None  # a member signed in to the console (``tg:<user id>``)

    @property
    def is_admin(self) -> bool:
        """True for a key with the ``admin`` scope."""
        return ADMIN in self.scopes

    @property
    def actor(self) -> str:
        """How the audit log names this caller: ``key:<id>/<name>``, or the console's member
        as chat names them (``tg:<user id>``)."""
        return self.person or f"key:{self.key_id}/{self.name}"[:128]

    def allows(self, scope: str) -> bool:
        """True if this key holds ``scope`` (``X:write`` holds ``X:read``; admin all)."""
        if self.is_admin or scope in self.scopes:
            return True
        resource, _, action = scope.partition(":")
        return action == "read" and f"{resource}:write" in self.scopes

    def sees_channel(self, channel: str) -> bool:
        """True unless the key is bound to another channel."""
        return self.channel is None or self.channel == channel

    def channel_of_list(self, asked: str | None) -> tuple[str | None, bool]:
        """The channel a list or count is narrowed to for this key (None: every channel),
        and False when the key asked for another channel than its own, which it sees
        nothing of (as unknown as a channel with no orders)."""
        if self.channel is None:
            return asked, True
        return self.channel, asked in (None, self.channel)


Authenticate = Callable[[str], Awaitable[Caller | None]]
# A console session's cookie -> (its caller, its CSRF token), or None.
SessionOf = Callable[[str], Awaitable[tuple[Caller, str] | None]]
SESSION_COOKIE = "baton_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Refused = Callable[[str, str], None]  # (key id or "none", reason): counts a refusal
# (key id, route class) -> 0 if the request may go now, else the seconds until it may.
Throttle = Callable[[str, str], Awaitable[float]]
_CALLER: web.RequestKey[Caller] = web.RequestKey("caller")
_REFUSED: web.RequestKey[Refused] = web.RequestKey("refused")
_THROTTLE: web.RequestKey[Throttle] = web.RequestKey("throttle")


def caller(request: web.Request) -> Caller:
    """The caller of a request that passed the auth middleware."""
    if _CALLER not in request:
        raise RuntimeError(f"{request.path} was not authenticated")
    return request[_CALLER]


def refuse(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    *,
    key_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> NoReturn:
    """Log and count a refused request, then answer it with ``status``."""
    who = key_id or (request[_CALLER].key_id if _CALLER in request else "none")
    log.warning("refused %s %s for key %s: %s", request.method, request.path, who, code)
    if _REFUSED in request:
        request[_REFUSED](who, code)
    raise ApiError(status, code, message, headers=headers)


def authorize(request: web.Request, scope: str) -> Caller:
    """The caller, if its key holds ``scope`` and may touch the path's dealer; else refuse."""
    who = caller(request)
    if not who.allows(scope):
        refuse(request, 403, "forbidden", f"this API key lacks the scope {scope}")
    if who.dealer_id is not None:
        dealer_id = request.match_info.get("dealer_id")
        if dealer_id is None:
            refuse(request, 403, "forbidden", "this API key may use only its dealer's routes")
        if dealer_id != who.dealer_id:
            refuse(request, 404, "not_found", f"no dealer {dealer_id!r}")
    return who


async def throttle(request: web.Request, route_class: str) -> None:
    """Count the request against its key's limit of ``route_class``; 429 when over it."""
    if _THROTTLE not in request:
        return
    who = caller(request)
    wait = await request[_THROTTLE](who.key_id, route_class)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        refuse(
            request, 429, "too_many_requests",
            f"this API key is over its limit of {route_class}; retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )  # fmt: skip


def auth_middleware(
    authenticate: Authenticate,
    public: set[str],
    refused: Refused,
    limit: Throttle | None = None,
    session_of: SessionOf | None = None,
) -> Any:
    """Require a valid key (``Authorization: Bearer <key>``) on every ``/v1/`` path not public;
    ``limit`` keeps each key to its rate of each class of route.

    With ``session_of``, a request with no ``Authorization`` may instead carry a console
    session's cookie; one that asks for a change must also send the session's CSRF token
    in ``X-CSRF-Token`` (a page of another site cannot read it), or it is refused.
    """

    @web.middleware
    async def check(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        request[_REFUSED] = refused
        if limit is not None:
            request[_THROTTLE] = limit
        if request.path in public or not request.path.startswith("/v1/"):
            return await handler(request)
        header = request.headers.get("Authorization")
        cookie = request.cookies.get(SESSION_COOKIE)
        if header is None and cookie and session_of is not None:
            request[_CALLER] = await _console_caller(request, session_of, cookie)
            return await handler(request)
        scheme, _, token = (header or "").partition(" ")
        found = await authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            refuse(
                request, 401, "unauthorized",
                "send Authorization: Bearer <API key>; this key is unknown, revoked or expired",
            )  # fmt: skip
        request[_CALLER] = found
        return await handler(request)

    return check


async def _console_caller(request: web.Request, session_of: SessionOf, cookie: str) -> Caller:
    """The caller of a console session's request; refused if the session is not open or a
    change comes without the session's CSRF token."""
    found = await session_of(cookie)
    if found is None:
        refuse(request, 401, "unauthorized", "the console session has ended: sign in again")
    who, csrf = found
    changes = request.method not in SAFE_METHODS
    if changes and not same_token(request.headers.get(CSRF_HEADER, ""), csrf):
        refuse(
            request, 403, "csrf", "this change lacks the console's CSRF token", key_id=who.key_id
        )
    return who


def same_token(given: str, expected: str) -> bool:
    """True if a CSRF token sent back matches the session's (in constant time)."""
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())
