"""The next thing to do with each open order, as buttons; and a pickup code typed after one.

A dealer on a phone should not have to remember `/pickup ORDER CODE`: `/orders` puts a
button under every open order for its next step, and the pickup button asks for the code
as the next plain message. Which order that message is for is kept in Redis with a
deadline, so any bot replica can take it and nothing lingers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from bots.dealer.models import BotOrder
from bots.dealer.parsing import fold
from shared.chat.buttons import issue
from shared.chat.i18n import t
from shared.chat.render import keyboard
from shared.db.uow import UnitOfWork

DEALER_ROLES = ("owner", "staff")
CODE_WAIT_S = 600  # how long a pressed "Enter pickup code" waits for the code
CODE = re.compile(r"^[0-9]{6}$")


def _label(language: str, key: str, ref: str) -> str:
    return f"{t(language, key)} · {ref}"


async def next_step_buttons(
    uow: UnitOfWork, language: str, orders: Sequence[BotOrder]
) -> dict[str, Any] | None:
    """One row of buttons per open order, for the step its status waits for."""
    rows: list[list[tuple[str, str]]] = []
    for order in orders:
        subject, dealer = order.order_id, order.dealer_id
        if order.status == "offered" and order.offer_id is not None:
            accept = await issue(uow, "accept", order.offer_id, dealer, DEALER_ROLES)
            decline = await issue(uow, "decline", order.offer_id, dealer, DEALER_ROLES)
            rows.append(
                [
                    (_label(language, "offer.accept", order.ref), accept),
                    (_label(language, "offer.decline", order.ref), decline),
                ]
            )
        elif order.status == "accepted":
            key = "button.ready" if order.fulfilment == "pickup" else "button.out"
            ready = await issue(uow, "ready", subject, dealer, DEALER_ROLES)
            rows.append([(_label(language, key, order.ref), ready)])
        elif order.status == "ready_for_pickup":
            code = await issue(uow, "pickup_code", subject, dealer, DEALER_ROLES)
            rows.append([(_label(language, "button.code", order.ref), code)])
        elif order.status == "out_for_delivery":
            done = await issue(uow, "delivered", subject, dealer, DEALER_ROLES)
            rows.append([(_label(language, "button.delivered", order.ref), done)])
    return keyboard(rows) if rows else None


def _key(user_id: int) -> str:
    return f"baton:bot:awaiting-code:{user_id}"


async def expect_code(redis: Redis, user_id: int, order_id: str) -> None:
    """Take the user's next plain message as the pickup code of ``order_id``."""
    await redis.set(_key(user_id), order_id, ex=CODE_WAIT_S)


async def awaited_order(redis: Redis, user_id: int) -> str | None:
    """The order a code is awaited for, and stop waiting (None if nothing is awaited)."""
    raw: Any = await redis.getdel(_key(user_id))
    if raw is None:
        return None
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def as_code(text: str) -> str | None:
    """A typed pickup code, full-width digits and spaces allowed; None if it is not one."""
    digits = re.sub(r"[\s-]+", "", fold(text))
    return digits if CODE.match(digits) else None
