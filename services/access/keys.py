"""API keys: made, listed, revoked, and turned back into a caller on each request.

A key reads ``bk_<id>_<secret>``: the id is public (lists, logs and the audit log name
it), the secret is 256 random bits shown once, when the key is made, and stored only as
its SHA-256 (a secret that random needs no slow hash). ``BATON_API_TOKEN`` is the admin
key a fresh install starts with; it is compared with the setting and stored nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from services.access.models import ApiKey
from shared.audit import record
from shared.clock import Clock
from shared.db.engine import Database
from shared.http.access import ADMIN, Caller, expand_scopes

PREFIX = "bk_"
ID_HEX = 12
ADMIN_CALLER = Caller(key_id="admin", name="BATON_API_TOKEN", scopes=frozenset({ADMIN}))
CACHE_FOR = timedelta(seconds=2)  # how long a replica trusts what it read of a key
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often a key


class BadKeyRequest(ValueError):
    """A key cannot be made as asked (unknown scope, both a channel and a dealer, …)."""


@dataclass(frozen=True)
class KeyView:
    """What may be shown of a key: everything but its secret."""

    id: str
    name: str
    scopes: tuple[str, ...]
    channel: str | None
    dealer_id: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> KeyView:
        """The view of a stored key."""
        return cls(
            row.id, row.name, tuple(sorted(row.scopes)), row.channel, row.dealer_id,
            row.created_by, row.created_at, row.expires_at, row.last_used_at, row.revoked_at,
        )  # fmt: skip

    def state(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def caller(self) -> Caller:
        """The caller this key makes a request."""
        return Caller(self.id, self.name, frozenset(self.scopes), self.channel, self.dealer_id)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """The (id, secret) of a token shaped like a key, else None."""
    if not token.startswith(PREFIX) or len(token) < len(PREFIX) + ID_HEX + 2:
        return None
    key_id, sep, secret = token[len(PREFIX) :].partition("_")
    if sep != "_" or len(key_id) != ID_HEX or not secret:
        return None
    return key_id, secret


async def create_key(
    db: Database,
    clock: Clock,
    *,
    name: str,
    scopes: Iterable[str],
    created_by: str,
    channel: str | None = None,
    dealer_id: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[KeyView, str]:
    """Store a new key and return it with its token, the only time the token is seen."""
    try:
        granted = expand_scopes(scopes)
    except ValueError as exc:
        raise BadKeyRequest(str(exc)) from None
    if channel is not None and dealer_id is not None:
        raise BadKeyRequest("a key is bound to a channel or to a dealer, not both")
    if not name.strip():
        raise BadKeyRequest("a key needs a name")
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise BadKeyRequest("the expiry must be in the future")
    key_id, secret = secrets.token_hex(ID_HEX // 2), secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id, name=name.strip(), secret_hash=_digest(secret), scopes=sorted(granted),
        channel=channel, dealer_id=dealer_id, created_by=created_by, created_at=now,
        expires_at=expires_at,
    )  # fmt: skip
    async with db.write() as session:
        session.add(row)
        record(
            session, now, created_by, "api_key.create", target=key_id,
            detail={"name": row.name, "scopes": row.scopes, "channel": channel,
                    "dealer_id": dealer_id},
        )  # fmt: skip
    return KeyView.of(row), f"{PREFIX}{key_id}_{secret}"


async def list_keys(
    db: Database, *, limit: int | None = None, after: tuple[datetime, str] | None = None
) -> list[KeyView]:
    """The keys oldest first: every one, or ``limit`` of those made after ``after``."""
    query = select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))
    if after is not None:
        at, key_id = after
        query = query.where(
            (col(ApiKey.created_at) > at)
            | ((col(ApiKey.created_at) == at) & (col(ApiKey.id) > key_id))
        )
    async with db.read() as session:
        rows = await session.exec(query.limit(limit) if limit is not None else query)
        return [KeyView.of(row) for row in rows.all()]


async def revoke_key(db: Database, clock: Clock, key_id: str, *, by: str) -> KeyView | None:
    """Revoke a key (again is harmless); None if there is no such key."""
    now = clock.now()
    async with db.write() as session:
        row = await session.get(ApiKey, key_id)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = now
            record(session, now, by, "api_key.revoke", target=key_id, detail={"name": row.name})
        view = KeyView.of(row)
    return view


@dataclass
class _Seen:
    view: KeyView
    secret_hash: str
    read_at: datetime


class Authenticator:
    """Turns a bearer token into a ``Caller``, or None for an unknown, revoked or expired key.

    A key's row is read at most every ``CACHE_FOR`` per process, so a revocation takes
    effect at once in the process that revoked it and within that time in every other.
    """

    def __init__(self, db: Database, clock: Clock, admin_token: str) -> None:
        self.db = db
        self.clock = clock
        self._admin = admin_token.encode()
        self._seen: dict[str, _Seen] = {}
        self._touched: dict[str, datetime] = {}

    async def __call__(self, token: str) -> Caller | None:
        """The caller ``token`` authenticates, or None."""
        if self._admin and hmac.compare_digest(token.encode(), self._admin):
            return ADMIN_CALLER
        parsed = split_token(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        now = self.clock.now()
        seen = self._seen.get(key_id)
        if seen is None or now - seen.read_at >= CACHE_FOR:
            async with self.db.read() as session:
                row = await session.get(ApiKey, key_id)
            if row is None:
                self._seen.pop(key_id, None)
                return None
            seen = self._seen[key_id] = _Seen(KeyView.of(row), row.secret_hash, now)
        if not hmac.compare_digest(_digest(secret), seen.secret_hash):
            return None
        if seen.view.state(now) != "active":
            return None
        await self._touch(key_id, now)
        return seen.view.caller()

    def forget(self, key_id: str) -> None:
        """Read this key afresh on its next use (it was just revoked here)."""
        self._seen.pop(key_id, None)

    async def _touch(self, key_id: str, now: datetime) -> None:
        last = self._touched.get(key_id)
        if last is not None and now - last < TOUCH_EVERY:
            return
        self._touched[key_id] = now
        async with self.db.write() as session:
            await session.exec(
                update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=now)
            )
