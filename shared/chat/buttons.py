"""Inline buttons carry a short opaque id; what it does, and for whom, stays on the server.

Telegram's callback data is at most 64 bytes and the client can send anything in it, so the
data is never trusted: it is only a key to a ButtonToken row that says the action, the
order or offer, the dealer it belongs to and the roles that may press it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from shared.chat.i18n import Problem
from shared.chat.models import ButtonToken, ChatUser
from shared.db.uow import UnitOfWork

log = logging.getLogger(__name__)

TOKEN_TTL = timedelta(days=3)
SINGLE_USE = frozenset({"accept", "decline_reason"})
OFFER_ACTIONS = frozenset({"accept", "decline", "decline_reason"})  # subject: the offer


async def issue(
    uow: UnitOfWork,
    action: str,
    subject: str,
    dealer_id: str,
    roles: Iterable[str],
    *,
    arg: str | None = None,
    ttl: timedelta = TOKEN_TTL,
) -> str:
    """A new button's callback data for ``action`` on ``subject`` (12 characters, far under
    Telegram's 64 bytes); the table keeps only its hash (``button_key``)."""
    data = secrets.token_urlsafe(9)
    token = ButtonToken(
        id=button_key(data), action=action, subject=subject, dealer_id=dealer_id,
        roles=",".join(sorted(roles)), arg=arg, expires_at=uow.clock.now() + ttl,
    )  # fmt: skip
    uow.session.add(token)
    return data


def button_key(data: str) -> str:
    """What the button tokens table keeps of a button's callback data: its SHA-256, so a
    copy of the table presses no button."""
    return hashlib.sha256(b"baton button\0" + data.encode()).hexdigest()


async def expire_offer(uow: UnitOfWork, offer_id: str) -> None:
    """The buttons of an offer that ended (on any message) stop working now."""
    await uow.session.exec(
        update(ButtonToken)
        .where(
            col(ButtonToken.subject) == offer_id,
            col(ButtonToken.action).in_(OFFER_ACTIONS),
            col(ButtonToken.expires_at) > uow.clock.now(),
        )
        .values(expires_at=uow.clock.now())
    )


async def press(uow: UnitOfWork, data: str | None, user: ChatUser | None) -> ButtonToken | Problem:
    """The token a press may use, marked used if it is single-use; or why it is refused."""
    if user is None:
        return Problem("not_bound")
    token = (
        await uow.session.get(ButtonToken, button_key(data), with_for_update=True) if data else None
    )
    if token is None:
        log.warning("refused a button press with unknown data %r from user %s", data, user.user_id)
        return Problem("button.unknown")
    if token.dealer_id != user.dealer_id or user.role not in token.roles.split(","):
        log.warning(
            "refused button %s (%s for %s) pressed by user %s of %s as %s",
            token.id, token.action, token.dealer_id, user.user_id, user.dealer_id, user.role,
        )  # fmt: skip
        return Problem("button.not_yours")
    if token.used_at is not None:
        return Problem("button.used")
    if token.expires_at <= uow.clock.now():  # an offer's buttons expire when it ends
        return Problem("button.spent.offer" if token.action in OFFER_ACTIONS else "button.expired")
    if token.action in SINGLE_USE:
        token.used_at = uow.clock.now()
        uow.session.add(token)
    return token
