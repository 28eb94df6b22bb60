"""Inline button presses: look the opaque id up, check who pressed, then act."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bots.dealer import hq, rules
from bots.dealer.buttons import issue, press
from bots.dealer.context import chat_of
from bots.dealer.handlers import reply
from bots.dealer.next_step import expect_code
from bots.dealer.parsing import Problem
from bots.dealer.views import keyboard, order_ref
from services.broadcasts.acks import acknowledge
from services.broadcasts.fanout import ACK
from shared.db.uow import unit_of_work
from shared.messages.orders import AcceptOffer, ConfirmDelivery, DeclineOffer, MarkReady

REASONS = ("out_of_stock", "too_busy", "cannot_deliver", "other")
DEALER_ROLES = ("owner", "staff")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any button: refuse politely (and log) unless the presser's dealer and role own it."""
    query = update.callback_query
    chat = await chat_of(update, context)
    if query is None or chat is None:
        return
    answer, reasons_markup, prompt = None, None, None
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        token = await press(uow, query.data, chat.user)
        if isinstance(token, Problem):
            answer = chat.text(token.key, **token.values)
        elif token.action == "accept":
            uow.emit(AcceptOffer(offer_id=token.subject, actor=chat.actor()))
            answer = chat.text("offer.accepting")
        elif token.action == "decline":
            rows = []
            for reason in REASONS:
                button = await issue(uow, "decline_reason", token.subject, token.dealer_id,
                                     DEALER_ROLES, arg=reason)  # fmt: skip
                rows.append([(chat.text(f"offer.reason.{reason}"), button)])
            reasons_markup = keyboard(rows)
        elif token.action == "decline_reason":
            uow.emit(DeclineOffer(offer_id=token.subject, reason=token.arg, actor=chat.actor()))
            answer = chat.text("offer.declining")
        elif token.action == "ready":
            uow.emit(MarkReady(order_id=token.subject, actor=chat.actor()))
        elif token.action == "delivered":
            uow.emit(ConfirmDelivery(order_id=token.subject, actor=chat.actor()))
            answer = chat.text("handover.confirming")
        elif token.action == ACK:
            answer = chat.text(await acknowledge(uow, token, chat.chat_id, chat.user_id))
        elif token.action in (hq.SEND, hq.CANCEL):
            shown = query.message.message_id if query.message is not None else None
            answer = await hq.on_button(uow, token, chat, shown)
        elif token.action in (rules.APPLY, rules.CANCEL):
            shown = query.message.message_id if query.message is not None else None
            answer = await rules.on_button(uow, token, chat, shown)
        elif token.action == "pickup_code":
            await expect_code(chat.runtime.redis, chat.user_id, token.subject)
            prompt = chat.text("code.prompt", ref=order_ref(token.subject))
    if reasons_markup is not None and query.message is not None:
        # The reasons replace the buttons of this message; pressing one declines.
        markup = InlineKeyboardMarkup.de_json(reasons_markup, query.get_bot())
        await query.edit_message_reply_markup(markup)
    await query.answer(answer, show_alert=isinstance(token, Problem))
    if prompt is not None:
        await reply(update, prompt)
