"""Inline button presses: look the opaque id up, check who pressed, then act.

``on_button`` is the bot's one button handler, and a switchboard no more: the token's
action is looked up in ``BUTTONS``, a table of one module-level function per action. A
press that is refused (forged, another's, replayed, expired, or spent: its offer closed,
its order moved on) is answered by ``refused``, which says why and leaves the message; a
button that did its step once leaves the message too (``bots.dealer.spent``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bots.dealer import hq, rules
from bots.dealer.context import BotContext, Chat, bound, chat_of, reply
from bots.dealer.next_step import expect_code
from bots.dealer.presses import ButtonHandler, Outcome, Press
from bots.dealer.spent import SPENDS, pruned, subject_of, why_spent
from services.broadcasts.public import ACK, acknowledge
from shared.chat import buttons
from shared.chat.i18n import Problem
from shared.chat.models import ButtonToken
from shared.chat.render import keyboard, order_ref
from shared.db.uow import UnitOfWork, unit_of_work
from shared.messages.orders import AcceptOffer, ConfirmDelivery, DeclineOffer, MarkReady

log = logging.getLogger(__name__)

REASONS = ("out_of_stock", "too_busy", "cannot_deliver", "other")
DEALER_ROLES = ("owner", "staff")
# Replayed, run out, or its offer ended: its row goes too.
CLEARED = ("button.used", "button.expired", "button.spent.offer")


async def accept(press: Press) -> Outcome:
    """Accept an offer: the orders service decides (the first accept wins in grab mode)."""
    press.uow.emit(AcceptOffer(offer_id=press.token.subject, actor=press.chat.actor()))
    return Outcome(press.chat.text("offer.accepting"))


async def decline(press: Press) -> Outcome:
    """Decline an offer: ask why, the reasons taking the place of this offer's buttons."""
    token, rows = press.token, []
    for reason in REASONS:
        button = await buttons.issue(press.uow, "decline_reason", token.subject, token.dealer_id,
                                     DEALER_ROLES, arg=reason)  # fmt: skip
        rows.append([(press.chat.text(f"offer.reason.{reason}"), button)])
    return Outcome(replacement=keyboard(rows)["inline_keyboard"])


async def decline_reason(press: Press) -> Outcome:
    """A reason for declining: the offer is declined with it."""
    token = press.token
    press.uow.emit(DeclineOffer(offer_id=token.subject, reason=token.arg, actor=press.chat.actor()))
    return Outcome(press.chat.text("offer.declining"))


async def ready(press: Press) -> Outcome:
    """Ready for pickup (or out for delivery): the order's next status."""
    press.uow.emit(MarkReady(order_id=press.token.subject, actor=press.chat.actor()))
    return Outcome()


async def delivered(press: Press) -> Outcome:
    """Delivered: the orders service answers whether the handover counts."""
    press.uow.emit(ConfirmDelivery(order_id=press.token.subject, actor=press.chat.actor()))
    return Outcome(press.chat.text("handover.confirming"))


async def pickup_code(press: Press) -> Outcome:
    """Enter the pickup code: the user's next plain message is taken as the order's code."""
    chat = press.chat
    await expect_code(chat.runtime.redis, chat.user_id, press.token.subject)
    return Outcome(prompt=chat.text("code.prompt", ref=order_ref(press.token.subject)))


async def acknowledge_broadcast(press: Press) -> Outcome:
    """Acknowledge under HQ's broadcast: counted once per chat."""
    chat = press.chat
    return Outcome(chat.text(await acknowledge(press.uow, press.token, chat.chat_id, chat.user_id)))


async def unhandled(press: Press) -> Outcome:
    """A token whose action no handler takes (issued by a newer bot, say): nothing happens."""
    log.warning("no handler for button action %r (%s)", press.token.action, press.token.id)
    return Outcome()


# The token's action → what pressing it does.
BUTTONS: dict[str, ButtonHandler] = {
    "accept": accept,
    "decline": decline,
    "decline_reason": decline_reason,
    "ready": ready,
    "delivered": delivered,
    "pickup_code": pickup_code,
    ACK: acknowledge_broadcast,
    hq.SEND: hq.send,
    hq.CANCEL: hq.cancel,
    rules.APPLY: rules.apply,
    rules.CANCEL: rules.cancel,
}


async def refused(
    uow: UnitOfWork, chat: Chat, problem: Problem, data: str | None, token: ButtonToken | None
) -> Outcome:
    """A press that may not act: say why, and take the rows of what is done with off."""
    subject = token.subject if token is not None else None
    if subject is None and problem.key in CLEARED:
        subject = await subject_of(uow.session, data)
    values = dict(problem.values)
    if "status" in values:  # an order's status, in the user's words
        values["status"] = chat.text(f"status.{values['status']}")
    return Outcome(chat.text(problem.key, **values), alert=True, clear=subject)


async def on_button(update: Update, context: BotContext) -> None:
    """Any button: its action's handler acts, unless the press is refused (and logged)."""
    query = update.callback_query
    chat = await chat_of(update, context)
    if query is None or chat is None:
        return
    message = query.message
    message_id = message.message_id if message is not None else None
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        outcome = await _outcome(uow, chat, query.data, message_id)
        rows = None
        if outcome.clear is not None:
            shown = getattr(message, "reply_markup", None)
            rows = await pruned(uow.session, shown, outcome.clear, outcome.replacement)
    if rows is not None and message is not None:
        await _show(query, rows)
    await query.answer(outcome.answer, show_alert=outcome.alert)
    if outcome.prompt is not None:
        await reply(update, outcome.prompt)


async def _outcome(
    uow: UnitOfWork, chat: Chat, data: str | None, message_id: int | None
) -> Outcome:
    """Check the press (who, whether it still applies), then do what its action says."""
    token = await buttons.press(uow, data, chat.user)
    if isinstance(token, Problem):
        return await refused(uow, chat, token, data, None)
    spent = await why_spent(uow.session, token)
    if spent is not None:
        return await refused(uow, chat, spent, data, token)
    member = bound(chat)
    assert member is not None  # ``press`` refuses a chat that is not bound
    outcome = await BUTTONS.get(token.action, unhandled)(Press(uow, member, token, message_id))
    if outcome.replacement is not None or token.action in SPENDS:  # its step is done here
        return replace(outcome, clear=token.subject)
    return outcome


async def _show(query: CallbackQuery, rows: dict[str, Any]) -> None:
    """Put the message's remaining buttons in place (none: the keyboard goes)."""
    markup = InlineKeyboardMarkup.de_json(rows, query.get_bot()) if rows else None
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as exc:  # the message changed meanwhile (an edit from the sender)
        log.info("could not edit the buttons of a message: %s", exc)
