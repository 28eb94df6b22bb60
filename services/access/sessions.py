"""Console sessions: a one-time link from chat, then a cookie that is the session.

An HQ or finance member sends ``/console`` to the bot, which asks ``issue_link`` for a
link that works once, for ``LINK_TTL``. Opening it shows a Sign in button (a chat app
fetches a link to preview it, so a GET must not spend it); pressing it calls
``redeem_link``, which spends the link and opens a session. The browser keeps the
session's secret in an HttpOnly, SameSite=Strict cookie; Baton keeps only its SHA-256,
with the member's user id, role and a CSRF token the pages send back with every change.

A session's caller has its role's scopes (``CONSOLE_SCOPES``) and is audited as the member
(``tg:<user id>``), as chat is. Each request re-checks that the member is still bound with
that role, so unbinding someone or changing their role ends their sessions within
``CACHE_FOR``. The one session not made from chat is the admin's: ``baton console`` on the
host (which holds the database, and so every power already) prints a link for role
``admin``, audited as ``cli``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from services.access.models import ConsoleLink, ConsoleSession
from shared.audit import record
from shared.chat.identity import binding
from shared.clock import Clock
from shared.db.engine import Database
from shared.db.uow import UnitOfWork
from shared.http.access import ADMIN, PRESETS, Caller

LINK_TTL = timedelta(minutes=5)
SESSION_TTL = timedelta(hours=12)
CACHE_FOR = timedelta(seconds=2)  # how long a replica trusts what it read of a session
MAX_CACHED = 10_000  # sessions kept read at once; beyond it, the stale ones are let go
# The chat roles that may sign in to the console, and what their sessions may do.
CONSOLE_SCOPES: dict[str, frozenset[str]] = {
    "hq": frozenset(PRESETS["hq"]),
    "finance": frozenset(PRESETS["finance"]),
    ADMIN: frozenset({ADMIN}),  # ``baton console``: no chat member behind it
}
CLI_USER = 0  # the user id of the admin's sessions
# Why a link does not open a session (the page says so in the member's language).
UNKNOWN, USED, EXPIRED, NOT_MEMBER = "unknown", "used", "expired", "not_member"


def _digest(secret: str) -> str:
    return hashlib.sha256(b"baton console\0" + secret.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A session as a request sees it: who, with what power, and its CSRF token."""

    caller: Caller
    user_id: int
    role: str
    name: str
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class Opened:
    """A session just opened: the cookie's secret (given once) and the session."""

    secret: str
    session: SignedIn


async def issue_link(uow: UnitOfWork, user_id: int, role: str) -> str:
    """A one-time sign-in token for a member with a console role (ValueError otherwise)."""
    if role not in CONSOLE_SCOPES or (role == ADMIN) != (user_id == CLI_USER):
        raise ValueError(f"the role {role!r} has no console here")
    now, token = uow.clock.now(), secrets.token_urlsafe(24)
    link = ConsoleLink(
        token_hash=_digest(token), user_id=user_id, role=role, created_at=now,
        expires_at=now + LINK_TTL,
    )  # fmt: skip
    uow.session.add(link)
    record(uow.session, now, _actor(user_id), "console.link", role=role)
    return token


def _actor(user_id: int) -> str:
    return "cli" if user_id == CLI_USER else f"tg:{user_id}"


async def _member(session: AsyncSession, user_id: int, role: str) -> str | None:
    """The name of the member behind a session of ``role``, if still bound with it."""
    if user_id == CLI_USER:
        return "admin" if role == ADMIN else None
    member = await binding(session, user_id)
    return member.name if member is not None and member.role == role else None


async def redeem_link(uow: UnitOfWork, token: str) -> Opened | str:
    """Spend a sign-in token and open a session; else why not (``UNKNOWN``, ``USED``, …).

    Every refusal is audited (as the member when the token was theirs)."""
    now = uow.clock.now()
    link = await uow.session.get(ConsoleLink, _digest(token), with_for_update=True)
    why = _refusal(link, now)
    name = None if link is None else await _member(uow.session, link.user_id, link.role)
    if why is None and name is None:
        why = NOT_MEMBER
    if why is not None or link is None or name is None:
        actor = _actor(link.user_id) if link is not None else "console"
        record(uow.session, now, actor, "console.sign_in", allowed=False, detail={"why": why})
        return why or UNKNOWN
    link.used_at = now
    uow.session.add(link)
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    row = ConsoleSession(
        secret_hash=_digest(secret), user_id=link.user_id, role=link.role, csrf=csrf,
        created_at=now, expires_at=now + SESSION_TTL,
    )  # fmt: skip
    uow.session.add(row)
    record(uow.session, now, _actor(link.user_id), "console.sign_in", role=link.role)
    return Opened(secret, _signed_in(row, name))


def _refusal(link: ConsoleLink | None, now: datetime) -> str | None:
    if link is None:
        return UNKNOWN
    if link.used_at is not None:
        return USED
    return EXPIRED if link.expires_at <= now else None


def _signed_in(row: ConsoleSession, name: str) -> SignedIn:
    actor = _actor(row.user_id)
    caller = Caller(actor, name or actor, CONSOLE_SCOPES[row.role], person=actor)
    return SignedIn(caller, row.user_id, row.role, name, row.csrf, row.expires_at)


async def end_session(uow: UnitOfWork, secret: str) -> bool:
    """Sign a session out (False if it was not open); audited as its member."""
    now = uow.clock.now()
    row = await uow.session.get(ConsoleSession, _digest(secret), with_for_update=True)
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = now
    uow.session.add(row)
    record(uow.session, now, _actor(row.user_id), "console.sign_out", role=row.role)
    return True


@dataclass
class _Seen:
    found: SignedIn
    read_at: datetime


class Sessions:
    """Turns a session cookie into the signed-in member, or None (unknown, ended, expired,
    or the member is no longer bound with the session's role)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._seen: dict[str, _Seen] = {}

    async def __call__(self, secret: str) -> SignedIn | None:
        """The session ``secret`` opens, or None."""
        if not secret or len(secret) > 128:
            return None
        now, key = self.clock.now(), _digest(secret)
        seen = self._seen.get(key)
        if seen is None or now - seen.read_at >= CACHE_FOR:
            found = await self._read(key, now)
            if found is None:  # only open sessions are kept: a forged cookie costs a read
                self._seen.pop(key, None)
                return None
            if len(self._seen) >= MAX_CACHED:
                self._forget_stale(now)
            seen = self._seen[key] = _Seen(found, now)
        return seen.found if seen.found.expires_at > now else None

    def _forget_stale(self, now: datetime) -> None:
        for key in [k for k, seen in self._seen.items() if now - seen.read_at >= CACHE_FOR]:
            del self._seen[key]

    def forget(self, secret: str) -> None:
        """Read this session afresh on its next use (it was just ended here)."""
        self._seen.pop(_digest(secret), None)

    async def _read(self, key: str, now: datetime) -> SignedIn | None:
        async with self.db.read() as session:
            row = await session.get(ConsoleSession, key)
            if row is None or row.ended_at is not None or row.expires_at <= now:
                return None
            name = await _member(session, row.user_id, row.role)
        return None if name is None else _signed_in(row, name)
