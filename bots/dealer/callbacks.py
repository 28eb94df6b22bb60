"""Inline button presses: look the opaque id up, check who pressed, then act.

A button whose action is spent (its offer closed, its order moved on, already pressed,
expired) answers why and leaves the message; a button that did its step once leaves the
message too (``bots.dealer.spent``).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bots.dealer import hq, rules
from bots.dealer.context import BotContext, Chat, chat_of, reply
from bots.dealer.next_step import expect_code
from bots.dealer.spent import SPENDS, pruned, subject_of, why_spent
from services.broadcasts.public import ACK, acknowledge
from shared.chat.buttons import issue, press
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


async def on_button(update: Update, context: BotContext) -> None:
    """Any button: refuse politely (and log) unless the presser's dealer and role own it."""
    query = update.callback_query
    chat = await chat_of(update, context)
    if query is None or chat is None:
        return
    message = query.message
    shown = getattr(message, "reply_markup", None)
    answer, prompt, rows = None, None, None
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        token = await press(uow, query.data, chat.user)
        refused = token if isinstance(token, Problem) else await why_spent(uow.session, token)
        if refused is not None:
            answer = _refusal(chat, refused)
            subject = token.subject if isinstance(token, ButtonToken) else None
            if subject is None and refused.key in CLEARED:
                subject = await subject_of(uow.session, query.data)
            if subject is not None:
                rows = await pruned(uow.session, shown, subject)
        else:
            assert isinstance(token, ButtonToken)
            message_id = message.message_id if message is not None else None
            answer, prompt, replacement = await _act(uow, chat, token, message_id)
            if replacement is not None or token.action in SPENDS:
                rows = await pruned(uow.session, shown, token.subject, replacement)
    if rows is not None and message is not None:
        await _show(query, rows)
    await query.answer(answer, show_alert=refused is not None)
    if prompt is not None:
        await reply(update, prompt)


def _refusal(chat: Chat, problem: Problem) -> str:
    values = dict(problem.values)
    if "status" in values:  # an order's status, in the user's words
        values["status"] = chat.text(f"status.{values['status']}")
    return chat.text(problem.key, **values)


async def _act(
    uow: UnitOfWork, chat: Chat, token: ButtonToken, message_id: int | None
) -> tuple[str | None, str | None, list[list[dict[str, Any]]] | None]:
    """Do what the button says: the answer, a prompt to send, rows to put in its place."""
    if token.action == "accept":
        uow.emit(AcceptOffer(offer_id=token.subject, actor=chat.actor()))
        return chat.text("offer.accepting"), None, None
    if token.action == "decline":  # the reasons take the place of this offer's buttons
        rows = []
        for reason in REASONS:
            button = await issue(uow, "decline_reason", token.subject, token.dealer_id,
                                 DEALER_ROLES, arg=reason)  # fmt: skip
            rows.append([(chat.text(f"offer.reason.{reason}"), button)])
        return None, None, keyboard(rows)["inline_keyboard"]
    if token.action == "decline_reason":
        uow.emit(DeclineOffer(offer_id=token.subject, reason=token.arg, actor=chat.actor()))
        return chat.text("offer.declining"), None, None
    if token.action == "ready":
        uow.emit(MarkReady(order_id=token.subject, actor=chat.actor()))
        return None, None, None
    if token.action == "delivered":
        uow.emit(ConfirmDelivery(order_id=token.subject, actor=chat.actor()))
        return chat.text("handover.confirming"), None, None
    if token.action == ACK:
        return chat.text(await acknowledge(uow, token, chat.chat_id, chat.user_id)), None, None
    if token.action in (hq.SEND, hq.CANCEL):
        return await hq.on_button(uow, token, chat, message_id), None, None
    if token.action in (rules.APPLY, rules.CANCEL):
        return await rules.on_button(uow, token, chat, message_id), None, None
    if token.action == "pickup_code":
        await expect_code(chat.runtime.redis, chat.user_id, token.subject)
        return None, chat.text("code.prompt", ref=order_ref(token.subject)), None
    return None, None, None


async def _show(query: CallbackQuery, rows: dict[str, Any]) -> None:
    """Put the message's remaining buttons in place (none: the keyboard goes)."""
    markup = InlineKeyboardMarkup.de_json(rows, query.get_bot()) if rows else None
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as exc:  # the message changed meanwhile (an edit from the sender)
        log.info("could not edit the buttons of a message: %s", exc)
