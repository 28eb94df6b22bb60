"""HQ's commands: only HQ users may use them; anyone else is refused and the attempt audited."""

from __future__ import annotations

from telegram import Update

from bots.dealer.context import Chat
from bots.dealer.handlers import reply
from shared import audit
from shared.chat.identity import may
from shared.db.uow import unit_of_work


def command_text(update: Update) -> str:
    """What follows the command word (``/broadcast hello`` → ``hello``), lines and all."""
    message = update.effective_message
    parts = ((message.text if message is not None else None) or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def hq_only(update: Update, chat: Chat, action: str, refusal: str) -> bool:
    """True for an HQ user; anyone else reads ``refusal`` and the attempt is audited."""
    if chat.user is not None and may(chat.user, "hq"):
        return True
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        audit.record(
            uow.session, uow.clock.now(), f"tg:{chat.user_id}", action, allowed=False,
            role=chat.user.role if chat.user else None,
            detail={"dealer_id": chat.user.dealer_id if chat.user else None,
                    "text": command_text(update)[:200]},
        )  # fmt: skip
    await reply(update, chat.text("not_bound" if chat.user is None else refusal))
    return False
