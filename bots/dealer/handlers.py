"""Chat commands: each turns one message into a reply or a command on the bus.

Every handler answers: a refusal says what to type instead, in the user's language.
Commands that change something go on the bus through the outbox (``uow.emit``); what
follows (an offer closed, a pickup checked) comes back as an event the bot turns into a
message.
"""

from __future__ import annotations

from sqlmodel import col, select
from telegram import Update

from bots.dealer.context import BotContext, BoundChat, Chat, bound, reply
from bots.dealer.guard import command
from bots.dealer.models import BotOrder
from bots.dealer.next_step import as_code, awaited_order, expect_code, next_step_buttons
from bots.dealer.parsing import (
    StockReport,
    parse_order_ref,
    parse_pickup,
    parse_stock_lines,
)
from bots.dealer.views import OPEN_STATUSES, order_line_text, stock_text
from services.catalog.public import CatalogDirectory
from services.stock.public import available_at
from shared.chat.i18n import Problem
from shared.chat.identity import HQ_ROLES, may, redeem
from shared.chat.menus import MENUS, queue_menu
from shared.chat.models import ChatUser
from shared.db.uow import unit_of_work
from shared.messages.orders import ConfirmDelivery, ConfirmPickup, SetDealerPaused
from shared.messages.stock import ReportStock, StockCount
from shared.sealed import seal

HELP = MENUS  # /help lists what the menu shows


@command()
async def start(update: Update, context: BotContext, chat: Chat) -> None:
    """/start CODE: bind this chat user to a dealer; without a code, say how, or to what it is."""
    sender = update.effective_user
    name = sender.full_name if sender else ""
    if not context.args and chat.user is not None:  # linked already: say to what
        linked = await bound_text(chat, chat.user, already=True)
        await reply(update, chat.text("start.welcome_back", name=name) + "\n\n" + linked)
        return
    if not context.args:
        text = chat.text("start.welcome", name=name) + "\n\n" + chat.text("start.no_code")
        await reply(update, text)
        return
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        user = await redeem(uow, context.args[0], chat.user_id, chat.chat_id, name, chat.language)
    if isinstance(user, Problem):
        await reply(update, chat.text(user.key, **user.values))
        return
    await reply(update, await bound_text(chat, user))  # redeem queued the role's menu


async def bound_text(chat: Chat, user: ChatUser, *, already: bool = False) -> str:
    """Who this chat works for (``already``: before this message): the store's name, the role."""
    key = "start.linked" if already else "start.bound"
    if user.role in HQ_ROLES:
        return chat.text(f"{key}_hq")
    name = await CatalogDirectory(chat.runtime.db).dealer_name(user.dealer_id)
    return chat.text(key, dealer=name, role=chat.text(f"role.{user.role}"))


@command()
async def help_command(update: Update, context: BotContext, chat: Chat) -> None:
    """/help: what this user's role may do."""
    keys = HELP[chat.user.role if chat.user else None]
    await reply(
        update, "\n".join([chat.text("help.title"), *(chat.text(f"help.{k}") for k in keys)])
    )


@command()
async def lang(update: Update, context: BotContext, chat: Chat) -> None:
    """/lang zh|en: choose the language of every message from now on."""
    wanted = (context.args or [""])[0].lower()
    if wanted not in ("zh", "en"):
        await reply(update, chat.text("lang.usage"))
        return
    if chat.user is not None:
        async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
            user = await uow.session.get(ChatUser, chat.user_id, with_for_update=True)
            if user is not None:
                user.language = wanted
                uow.session.add(user)
                await queue_menu(uow, user)  # the menu in the new language
    chat.language = wanted
    await reply(update, chat.text("lang.set"))


@command("orders")
async def orders(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/orders: the dealer's open orders and what to do next."""
    async with chat.runtime.db.read() as session:
        rows = (
            await session.exec(
                select(BotOrder).where(
                    col(BotOrder.dealer_id) == chat.user.dealer_id,
                    col(BotOrder.status).in_(OPEN_STATUSES),
                )
            )
        ).all()
    if not rows:
        await reply(update, chat.text("orders.none"))
        return
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        markup = await next_step_buttons(uow, chat.language, rows)
    lines = [chat.text("orders.title"), *(order_line_text(chat.language, r) for r in rows)]
    if markup is not None:
        lines.append(chat.text("orders.buttons"))
    await reply(update, "\n".join(lines), markup)


async def _find_order(chat: BoundChat, ref: str) -> BotOrder | None:
    async with chat.runtime.db.read() as session:
        found = (
            await session.exec(
                select(BotOrder).where(
                    col(BotOrder.dealer_id) == chat.user.dealer_id,
                    (col(BotOrder.ref) == ref.upper()) | (col(BotOrder.order_id) == ref),
                )
            )
        ).all()
    return found[0] if len(found) == 1 else None


@command("handover")
async def pickup(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/pickup ORDER CODE: staff check the customer's code; the answer comes back as an event."""
    request = parse_pickup(context.args or [])
    if isinstance(request, Problem):
        await reply(update, chat.text(request.key, **(request.values | {"example": "A1B2C3"})))
        return
    order = await _find_order(chat, request.order)
    if order is None:
        await reply(update, chat.text("order.unknown", ref=request.order))
        return
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        uow.emit(_pickup(chat, order.order_id, request.code[:64]))


@command("handover")
async def delivered(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/delivered ORDER: the dealer confirms the delivery; the answer comes back as an event."""
    ref = parse_order_ref(context.args or [])
    if isinstance(ref, Problem):
        await reply(update, chat.text(ref.key, **(ref.values | {"example": "A1B2C3"})))
        return
    order = await _find_order(chat, ref)
    if order is None:
        await reply(update, chat.text("order.unknown", ref=ref))
        return
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        uow.emit(ConfirmDelivery(order_id=order.order_id, actor=chat.actor()))
    # The orders service answers (HandoverAnswered): delivered, or why not.


@command("stock")
async def stock(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/stock shows the levels; /stock SKU QTY (several lines) reports counts."""
    message = update.effective_message
    text = (message.text if message is not None else None) or ""
    parts = text.split(None, 1)  # "/stock" and the rest
    body = parts[1] if len(parts) > 1 else ""
    if not body.strip():
        levels = await available_at(chat.runtime.redis, chat.user.dealer_id)
        name = await CatalogDirectory(chat.runtime.db).dealer_name(chat.user.dealer_id)
        await reply(update, stock_text(chat.language, name, levels))
        return
    first = 1 + text[: len(text) - len(body)].count("\n")  # the line the counts start on
    await report_counts(update, chat, parse_stock_lines(body, first))


async def report_counts(update: Update, chat: BoundChat, report: StockReport) -> None:
    """Report typed or uploaded counts, checked: all of them, or none with the reasons."""
    if report.problems:
        await reply(update, "\n".join(chat.text(p.key, **p.values) for p in report.problems[:5]))
        return
    directory = CatalogDirectory(chat.runtime.db)
    for sku in report.counts:
        if not await directory.has_product(sku):
            await reply(update, chat.text("stock.unknown_sku", sku=sku))
            return
    counts = [StockCount(sku=sku, on_hand=qty) for sku, qty in report.counts.items()]
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        uow.emit(ReportStock(dealer_id=chat.user.dealer_id, counts=counts, source="chat",
                             reported_by=str(chat.user_id)))  # fmt: skip
    await reply(update, chat.text("stock.saved", count=len(counts)))


@command("pause")
async def pause(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/pause: stop new offers until /resume."""
    await _set_paused(update, chat, True)


@command("pause")
async def resume(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/resume: receive new offers again."""
    await _set_paused(update, chat, False)


async def _set_paused(update: Update, chat: BoundChat, paused: bool) -> None:
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        uow.emit(SetDealerPaused(dealer_id=chat.user.dealer_id, paused=paused, actor=chat.actor()))
    await reply(update, chat.text("pause.done" if paused else "resume.done"))


@command()
async def unknown(update: Update, context: BotContext, chat: Chat) -> None:
    """Anything else: a pickup code if one was asked for, else say what to type instead."""
    message = update.effective_message
    text = (message.text if message is not None else None) or ""
    member = bound(chat)
    plain = text and not text.startswith("/")
    if member is not None and plain and await _typed_code(update, member, text):
        return
    await reply(update, chat.text("unknown"))


async def _typed_code(update: Update, chat: BoundChat, text: str) -> bool:
    """Send ``text`` as the pickup code the user's last button asked for; False if none was."""
    redis = chat.runtime.redis
    order_id = await awaited_order(redis, chat.user_id)
    if order_id is None or not may(chat.user, "handover"):
        return False
    code = as_code(text)
    if code is None:
        await expect_code(redis, chat.user_id, order_id)  # still waiting for it
        await reply(update, chat.text("code.bad"))
        return True
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        uow.emit(_pickup(chat, order_id, code))
    return True


def _pickup(chat: BoundChat, order_id: str, code: str) -> ConfirmPickup:
    # The code travels sealed: no stream, dead letter or Redis backup holds it in clear.
    sealed = seal(code, order_id, chat.runtime.pickup_key())
    return ConfirmPickup(order_id=order_id, sealed_code=sealed, actor=chat.actor())
