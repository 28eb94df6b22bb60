"""Who is who: invitations, bindings, and what each role may do."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.chat.i18n import Problem
from shared.chat.menus import queue_menu
from shared.chat.models import ChatUser, Invite
from shared.db.uow import UnitOfWork

ROLES = ("owner", "staff", "hq", "finance")
HQ_ROLES = ("hq", "finance")  # HQ's own people: bound to dealer ``hq``, invited by an admin
INVITE_TTL = timedelta(days=7)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes get read aloud

# What each role may do; every command and button checks this table.
PERMISSIONS: dict[str, frozenset[str]] = {
    "offer": frozenset({"owner", "staff"}),
    "orders": frozenset({"owner", "staff"}),
    "handover": frozenset({"owner", "staff"}),
    "stock": frozenset({"owner", "staff"}),
    "pause": frozenset({"owner"}),
    "earnings": frozenset({"owner"}),
    "hq": frozenset({"hq"}),
    "prices": frozenset({"owner", "staff", "hq"}),
    "console": frozenset({"hq", "finance"}),  # HQ's web console (``/console``)
}


def new_code() -> str:
    """A fresh invitation code, easy to type and to read aloud."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def deep_link(bot_username: str, code: str) -> str:
    """The link that opens the bot with ``/start CODE``."""
    return f"https://t.me/{bot_username}?start={code}"


def invite_key(code: str) -> str:
    """What the invites table keeps of a code: its SHA-256, so a copy of the table invites
    no one (a code is given once, to the person invited, and typed or tapped once)."""
    return hashlib.sha256(b"baton invite\0" + code.strip().upper().encode()).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    """An invitation just made, with its code: shown this once."""

    code: str
    dealer_id: str
    role: str
    expires_at: datetime


async def create_invite(
    uow: UnitOfWork, dealer_id: str, role: str, created_by: str, ttl: timedelta = INVITE_TTL
) -> NewInvite:
    """A new single-use invitation for ``dealer_id`` with ``role``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now, code = uow.clock.now(), new_code()
    invite = Invite(
        code_hash=invite_key(code), dealer_id=dealer_id, role=role, created_by=created_by,
        created_at=now, expires_at=now + ttl,
    )  # fmt: skip
    uow.session.add(invite)
    return NewInvite(code, dealer_id, role, invite.expires_at)


INVITE_STATES = ("open", "used", "expired")


def invite_state(invite: Invite, now: datetime) -> str:
    """Whether ``invite`` was taken, has expired, or can still be taken."""
    if invite.used_at is not None:
        return "used"
    return "expired" if invite.expires_at <= now else "open"


async def invitations(
    session: AsyncSession,
    now: datetime,
    dealer_id: str | None,
    state: str | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[Invite]:
    """Up to ``limit`` invitations, newest first, after the (created time, reference) of the
    last one of the page before; a reference is the start of the code's keyed hash."""
    newest = select(Invite).order_by(col(Invite.created_at).desc(), col(Invite.code_hash).desc())
    if dealer_id is not None:
        newest = newest.where(col(Invite.dealer_id) == dealer_id)
    if state == "used":
        newest = newest.where(col(Invite.used_at).is_not(None))
    elif state is not None:
        newest = newest.where(col(Invite.used_at).is_(None))
        expired = col(Invite.expires_at) <= now
        newest = newest.where(expired if state == "expired" else ~expired)
    if after is not None:
        at, reference = after
        newest = newest.where(
            (col(Invite.created_at) < at)
            | ((col(Invite.created_at) == at) & (col(Invite.code_hash) < reference))
        )
    return list((await session.exec(newest.limit(limit))).all())


async def redeem(
    uow: UnitOfWork, code: str, user_id: int, chat_id: int, name: str, language: str
) -> ChatUser | Problem:
    """Bind the user with the invitation ``code``; a problem says why not."""
    now = uow.clock.now()
    invite = await uow.session.get(Invite, invite_key(code), with_for_update=True)
    if invite is None:
        return Problem("start.unknown_code")
    if invite.used_at is not None:
        return Problem("start.used_code")
    if invite.expires_at <= now:
        return Problem("start.expired_code")
    invite.used_at, invite.used_by = now, user_id
    uow.session.add(invite)
    user = await uow.session.get(ChatUser, user_id, with_for_update=True)
    if user is None:
        user = ChatUser(user_id=user_id, chat_id=chat_id, dealer_id=invite.dealer_id,
                        role=invite.role, name=name, language=language, bound_at=now)  # fmt: skip
    else:  # a new invitation moves the user to another dealer or role
        user.dealer_id, user.role, user.chat_id, user.active = (
            invite.dealer_id, invite.role, chat_id, True,
        )  # fmt: skip
        user.bound_at = now
    uow.session.add(user)
    await queue_menu(uow, user)  # whoever binds (chat, demo, a script), the menu follows
    return user


async def binding(session: AsyncSession, user_id: int) -> ChatUser | None:
    """The user's active binding, or None."""
    user = await session.get(ChatUser, user_id)
    return user if user is not None and user.active else None


def may(user: ChatUser | None, action: str) -> bool:
    """True if the user's role allows ``action``."""
    return user is not None and user.role in PERMISSIONS.get(action, frozenset())
