"""Order events become chat messages: offers with buttons, their outcome, handover prompts.

Every message goes through the chat outbox (``bots.sender``) in this consumer's
transaction, so a message is queued once however often the event is delivered, and sent
within Telegram's limits in the lane its urgency calls for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import col, select, update

from bots.dealer.models import BotOrder
from bots.dealer.views import offer_text
from services.broadcasts.public import HANDLERS as BROADCASTS
from shared.bus.handling import Context, Handler
from shared.chat.buttons import expire_offer, issue
from shared.chat.i18n import language_of, t
from shared.chat.models import SENT, ChatMessage, ChatUser
from shared.chat.outbox import submit
from shared.chat.payloads import Lane
from shared.chat.render import keyboard, order_ref
from shared.db.uow import UnitOfWork
from shared.messages import Message
from shared.messages.bot import RemindOffer
from shared.messages.orders import (
    CustomerDetailsCleared,
    HandoverAnswered,
    OfferClosed,
    OrderAccepted,
    OrderOffered,
    OrderStatusChanged,
)

OFFERS, HANDOVER = 0, 1  # lanes: an offer never waits behind anything
REMIND_BEFORE = timedelta(minutes=2)
DEALER_ROLES = ("owner", "staff")


async def _staff(uow: UnitOfWork, dealer_id: str) -> Sequence[ChatUser]:
    query = select(ChatUser).where(
        col(ChatUser.dealer_id) == dealer_id,
        col(ChatUser.active),
        col(ChatUser.role).in_(DEALER_ROLES),
    )
    return (await uow.session.exec(query)).all()


def _language(user: ChatUser) -> str:
    return user.language or language_of(None)


async def _text(uow: UnitOfWork, key: str, user: ChatUser, text: str, lane: int,
                markup: dict[str, Any] | None = None) -> None:  # fmt: skip
    payload: dict[str, Any] = {"text": text}
    if markup is not None:
        payload["reply_markup"] = markup
    await submit(uow, key, user.chat_id, lane, "sendMessage", payload)


async def order_offered(event: OrderOffered, ctx: Context) -> None:
    """Show the offer to the dealer's owner and staff with Accept and Decline."""
    uow = ctx.uow
    view = await uow.session.get(BotOrder, event.order_id, with_for_update=True)
    if view is None:
        view = BotOrder(
            order_id=event.order_id, ref=order_ref(event.order_id), dealer_id=event.dealer_id,
            status="offered", fulfilment=event.fulfilment, updated_at=ctx.clock.now(),
        )  # fmt: skip
    view.dealer_id, view.status, view.offer_id, view.deadline = (
        event.dealer_id, "offered", event.offer_id, event.deadline,
    )  # fmt: skip
    view.lines = [line.model_dump() for line in event.lines]
    view.updated_at = ctx.clock.now()
    uow.session.add(view)
    for user in await _staff(uow, event.dealer_id):
        language = _language(user)
        accept = await issue(uow, "accept", event.offer_id, event.dealer_id, DEALER_ROLES)
        decline = await issue(uow, "decline", event.offer_id, event.dealer_id, DEALER_ROLES)
        markup = keyboard(
            [[(t(language, "offer.accept"), accept), (t(language, "offer.decline"), decline)]]
        )
        await _text(uow, f"offer:{event.offer_id}:{user.user_id}", user,
                    offer_text(language, event), OFFERS, markup)  # fmt: skip
    remind_at = event.deadline - REMIND_BEFORE
    if remind_at > ctx.clock.now():
        reminder = RemindOffer(
            order_id=event.order_id, offer_id=event.offer_id, dealer_id=event.dealer_id
        )
        uow.set_timer(f"bot:remind:{event.offer_id}", remind_at, reminder)


async def remind_offer(event: RemindOffer, ctx: Context) -> None:
    """Nudge the dealer a little before an unanswered offer runs out."""
    view = await ctx.uow.session.get(BotOrder, event.order_id)
    if view is None or view.offer_id != event.offer_id or view.status != "offered":
        return
    minutes = int(REMIND_BEFORE.total_seconds() // 60)
    for user in await _staff(ctx.uow, event.dealer_id):
        text = t(_language(user), "offer.reminder", ref=view.ref, minutes=minutes)
        await _text(ctx.uow, f"remind:{event.offer_id}:{user.user_id}", user, text, OFFERS)


async def offer_closed(event: OfferClosed, ctx: Context) -> None:
    """Edit each offer message to say how it ended; a stale button is answered, not acted on."""
    uow = ctx.uow
    await uow.cancel_timer(f"bot:remind:{event.offer_id}")
    await expire_offer(uow, event.offer_id)  # its buttons, wherever shown, say it is over
    view = await uow.session.get(BotOrder, event.order_id, with_for_update=True)
    if view is not None and view.dealer_id == event.dealer_id and event.outcome != "accepted":
        view.status = "closed"
        uow.session.add(view)
    for user in await _staff(uow, event.dealer_id):
        text = t(_language(user), f"offer.closed.{event.outcome}", ref=order_ref(event.order_id))
        original = f"offer:{event.offer_id}:{user.user_id}"
        if await uow.session.get(ChatMessage, original) is None:
            continue  # bound after the offer was shown: there is no message to edit
        await submit(uow, f"closed:{event.offer_id}:{user.user_id}", user.chat_id, OFFERS,
                     "editMessageText", {"text": text}, refers_to=original)  # fmt: skip


async def order_accepted(event: OrderAccepted, ctx: Context) -> None:
    """Now the dealer may know the customer: details, and the button for the next step."""
    uow = ctx.uow
    view = await uow.session.get(BotOrder, event.order_id, with_for_update=True)
    if view is not None:  # the store that took it (in grab mode, one of several offered)
        view.dealer_id, view.status, view.customer = (
            event.dealer_id,
            "accepted",
            {"name": event.customer_name, "phone": event.customer_phone},
        )
        uow.session.add(view)
    ref = order_ref(event.order_id)
    for user in await _staff(uow, event.dealer_id):
        language = _language(user)
        lines = [
            t(
                language,
                "accepted.title",
                ref=ref,
                customer=event.customer_name,
                phone=event.customer_phone,
            )
        ]
        if event.fulfilment == "pickup":
            lines.append(t(language, "accepted.pickup"))
            label = t(language, "button.ready")
        else:
            lines.append(t(language, "accepted.delivery", address=event.address))
            label = t(language, "button.out")
        ready = await issue(uow, "ready", event.order_id, event.dealer_id, DEALER_ROLES)
        await _text(uow, f"accepted:{event.order_id}:{user.user_id}", user, "\n".join(lines),
                    HANDOVER, keyboard([[(label, ready)]]))  # fmt: skip


async def status_changed(event: OrderStatusChanged, ctx: Context) -> None:
    """Keep the bot's order view current, and prompt the next handover step."""
    if event.fulfilling_dealer_id is None:
        return  # no store holds the order yet (received, routed, on offer): no view to keep
    uow = ctx.uow
    view = await uow.session.get(BotOrder, event.order_id, with_for_update=True)
    if view is None or view.dealer_id != event.fulfilling_dealer_id:
        return
    view.status, view.updated_at = event.status, ctx.clock.now()
    uow.session.add(view)
    if event.status not in ("ready_for_pickup", "out_for_delivery"):
        return
    for user in await _staff(uow, view.dealer_id):
        language = _language(user)
        if event.status == "ready_for_pickup":
            code = await issue(uow, "pickup_code", view.order_id, view.dealer_id, DEALER_ROLES)
            text = t(language, "ready.pickup", ref=view.ref)
            markup = keyboard([[(t(language, "button.code"), code)]])
        else:
            done = await issue(uow, "delivered", view.order_id, view.dealer_id, DEALER_ROLES)
            text = t(language, "ready.delivery", ref=view.ref)
            markup = keyboard([[(t(language, "button.delivered"), done)]])
        await _text(
            uow, f"{event.status}:{view.order_id}:{user.user_id}", user, text, HANDOVER, markup
        )


REFUSALS = frozenset(
    {"offered", "completed", "cancelled", "returned", "rejected", "not_yours", "not_pickup",
     "not_delivery", "no_code"}
)  # fmt: skip


async def handover_answered(event: HandoverAnswered, ctx: Context) -> None:
    """Tell the user who typed the code or confirmed the delivery how it went, or why not."""
    user = await ctx.uow.session.get(ChatUser, int(event.actor.id))
    if user is None:
        return
    if event.outcome == "done":
        key = f"handover.done.{event.step}"
    elif event.outcome == "refused":
        key = f"handover.refused.{event.reason if event.reason in REFUSALS else 'other'}"
    else:
        key = f"pickup.{event.outcome}"
    text = t(_language(user), key, ref=order_ref(event.order_id), remaining=event.remaining)
    await _text(ctx.uow, f"handover:{ctx.envelope.id}", user, text, HANDOVER)


async def customer_details_cleared(event: CustomerDetailsCleared, ctx: Context) -> None:
    """The orders service cleared these orders' customers: the bot forgets its copy, and
    each chat message that named the customer is edited to say the details are gone."""
    uow = ctx.uow
    ids = event.order_ids
    await uow.session.exec(
        update(BotOrder).where(col(BotOrder.order_id).in_(ids)).values(customer={})
    )
    named: list[tuple[str, int, ChatMessage]] = []  # order, user, the message naming them
    for order_id in ids:  # keyed ``accepted:{order}:{user}`` (order_accepted)
        prefix = f"accepted:{order_id}:"  # escaped: an id's "_" is not LIKE's wildcard
        query = select(ChatMessage).where(col(ChatMessage.key).startswith(prefix, autoescape=True))
        for message in (await uow.session.exec(query)).all():
            named.append((order_id, int(message.key.removeprefix(prefix)), message))
    users = {user_id for _, user_id, _ in named}
    found = await uow.session.exec(select(ChatUser).where(col(ChatUser.user_id).in_(users)))
    languages = {u.user_id: _language(u) for u in found.all()}
    for order_id, user_id, message in named:
        language = languages.get(user_id) or language_of(None)
        text = t(language, "cleared.accepted", ref=order_ref(order_id), days=event.retention_days)
        message.payload = {"text": text}  # the buttons go too: the order is long over
        uow.session.add(message)
        if message.state == SENT:  # what the chat shows is edited; a message never sent is not
            await submit(uow, f"cleared:{message.key}", message.chat_id, Lane.BULK,
                         "editMessageText", {"text": text}, refers_to=message.key)  # fmt: skip


HANDLERS: dict[type[Message], Handler] = {
    OrderOffered: order_offered,
    OfferClosed: offer_closed,
    OrderAccepted: order_accepted,
    OrderStatusChanged: status_changed,
    HandoverAnswered: handover_answered,
    RemindOffer: remind_offer,
    CustomerDetailsCleared: customer_details_cleared,
    **BROADCASTS,  # the broadcasts fan-out continues in the bot's consumer
}
