"""HQ's price rules in chat: /price and /promo (a preview, then Apply or Cancel), and /prices.

``/price SKU AMOUNT`` and ``/promo …`` (syntax in ``bots.dealer.rule_parsing``) change
nothing by themselves: they answer with a preview — the rule, and how many dealer chats
will be told — under Apply and Cancel buttons. Apply sets the rule, audits it and starts
its broadcast in one transaction (``services.pricing.store``); the draft's state makes
either button work once, and Apply refuses if the rules changed since the preview
(``bots.dealer.rule_basis``). A floor of 0 or above the list price is previewed with its
risk, under an Apply button that names the value. Anyone but HQ is refused politely and
the attempt audited. ``/prices`` (``bots.dealer.prices``) shows a dealer the floors in
force and the promotions of their region.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update

from bots.dealer.context import BotContext, BoundChat, Chat, reply
from bots.dealer.guard import command, command_text
from bots.dealer.models import RuleDraft
from bots.dealer.presses import Outcome, Press
from bots.dealer.rule_basis import price_basis, promo_basis
from bots.dealer.rule_parsing import PriceRequest, PromoText, parse_price, parse_promo
from bots.dealer.rule_texts import fit, hq_zone, promo_summary
from services.broadcasts.public import audience_size
from services.catalog import public as catalog
from services.pricing.public import (
    PromotionBody,
    RuleError,
    create_promotion,
    floor_risk,
    preview_promotion,
    set_floor,
    validation_context,
)
from shared import audit
from shared.chat.buttons import issue
from shared.chat.i18n import Problem
from shared.chat.outbox import Lane, submit
from shared.chat.render import keyboard
from shared.db.uow import unit_of_work
from shared.money import MoneyError, format_amount, parse_amount

HQ = ("hq",)
APPLY, CANCEL = "rule_apply", "rule_cancel"  # button actions (``callbacks.BUTTONS``)
PENDING, APPLIED, CANCELLED = "pending", "applied", "cancelled"
STALE = "stale"  # refused: the rules changed after the preview (``rule_basis``)
SHOWN_ERRORS = 5


async def _preview(
    update: Update, chat: BoundChat, kind: str, spec: dict[str, Any], text: str, label: str | None
) -> None:
    """Keep the draft and show it with Apply (``label``, if it must say more) and Cancel."""
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        draft = RuleDraft(
            id="rd_" + secrets.token_hex(6), kind=kind, spec=spec | {"preview": text},
            created_by=f"tg:{chat.user_id}", created_at=uow.clock.now(),
        )  # fmt: skip
        uow.session.add(draft)
        apply_id = await issue(uow, APPLY, draft.id, chat.user.dealer_id, HQ)
        cancel_id = await issue(uow, CANCEL, draft.id, chat.user.dealer_id, HQ)
    labels = label or chat.text(f"{kind}.apply"), chat.text(f"{kind}.cancel")
    await reply(update, text, keyboard([[(labels[0], apply_id), (labels[1], cancel_id)]]))


@command("hq", refusal="price.hq_only", audit="price_rule.set")
async def price(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/price SKU AMOUNT: preview a new floor for the SKU, from the moment it is applied."""
    request = parse_price(context.args or [])
    if isinstance(request, Problem):
        await reply(update, chat.text(request.key, **request.values))
        return
    async with chat.runtime.db.read() as session:
        drafted = await _price_draft(chat, session, request)
    if isinstance(drafted, str):
        await reply(update, drafted)
        return
    await _preview(update, chat, "price", *drafted)


async def _price_draft(
    chat: Chat, session: AsyncSession, request: PriceRequest
) -> tuple[dict[str, Any], str, str | None] | str:
    """The draft of a floor, its preview text and Apply's label; or what is wrong.

    A floor of 0 or above the list price is shown with its risk, and Apply names it.
    """
    product = (await catalog.products(session, [request.sku])).get(request.sku)
    if product is None:
        return chat.text("price.unknown_sku", sku=request.sku)
    try:
        floor = parse_amount(request.amount, product.currency)
    except MoneyError:
        return chat.text("price.bad_amount", amount=request.amount[:20], currency=product.currency)
    basis = await price_basis(session, product, chat.runtime.clock.now())
    shown = {"name": product.name, "currency": product.currency,
             "floor": format_amount(floor, product.currency)}  # fmt: skip
    text = chat.text(
        "price.preview", name=product.name, sku=product.sku,
        old=format_amount(basis["floor"], product.currency), new=shown["floor"],
        currency=product.currency, audience=await audience_size(session, None),
    )  # fmt: skip
    label, risk = None, floor_risk(floor, product.list_price)
    if risk is not None:
        listed = format_amount(product.list_price, product.currency)
        text += "\n\n" + chat.text(f"price.risk.{risk}", list=listed, **shown)
        label = chat.text("price.apply_risky", **shown)
    spec = {"sku": product.sku, "floor": floor, "currency": product.currency, "basis": basis}
    return spec, text, label


@command("hq", refusal="promo.hq_only", audit="promotion.create")
async def promo(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/promo NAME; off 10%; skus …; to …: preview a promotion before it is created."""
    parsed = parse_promo(command_text(update))
    if isinstance(parsed, Problem):
        await reply(update, chat.text(parsed.key, **parsed.values))
        return
    async with chat.runtime.db.read() as session:
        drafted = await _promo_draft(chat, session, parsed)
    if isinstance(drafted, str):
        await reply(update, drafted)
        return
    await _preview(update, chat, "promo", *drafted)


async def _promo_draft(
    chat: Chat, session: AsyncSession, parsed: PromoText
) -> tuple[dict[str, Any], str, str | None] | str:
    """The draft of a promotion, its preview text (and no special label); or what is wrong."""
    now, zone = chat.runtime.clock.now(), hq_zone(chat)
    data = {"starts_at": now.isoformat()} | parsed.data
    if parsed.needs_currency:
        data["currency"] = await _currency_of(session, data) or ""
    try:
        body = PromotionBody.model_validate(data, context=validation_context(zone))
    except ValidationError as exc:
        return _invalid_text(chat, exc)
    try:  # the same checks and audience as the HTTP API's preview
        previewed = await preview_promotion(session, body, now)
    except RuleError as exc:
        shown = exc.problems[:SHOWN_ERRORS]
        return "\n".join(chat.text(f"promo.{p.code}", **p.values) for p in shown)
    summary = promo_summary(chat, body, zone)
    text = fit([chat.text("promo.preview", summary=summary, audience=previewed.audience)])
    basis = await promo_basis(session, body, now)
    return {"body": body.model_dump(mode="json"), "basis": basis}, text, None


async def _currency_of(session: AsyncSession, data: dict[str, Any]) -> str | None:
    """The one currency of the products a promotion names, if they have just one."""
    skus, categories = data.get("skus") or [], data.get("categories") or []
    found = {p.currency for p in await catalog.products_matching(session, skus, categories)}
    return found.pop() if len(found) == 1 else None


def _invalid_text(chat: Chat, exc: ValidationError) -> str:
    fields = list(dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"]))
    return "\n".join(chat.text(f"promo.bad.{f}") for f in fields[:SHOWN_ERRORS])


async def apply(press: Press) -> Outcome:
    """Apply under a preview: the rule is set, once, unless the rules changed since."""
    return await _close(press, _apply)


async def cancel(press: Press) -> Outcome:
    """Cancel under a preview: the draft is dropped, once, and the cancel audited."""
    return await _close(press, _drop)


async def _close(press: Press, act: Callable[[Press, RuleDraft], Awaitable[str]]) -> Outcome:
    """Do ``act`` to the preview's draft if it is still pending; the answer says what happened.

    The preview is edited (through the chat outbox) to say what happened, without buttons.
    """
    chat, uow = press.chat, press.uow
    draft = await uow.session.get(RuleDraft, press.token.subject, with_for_update=True)
    kind = draft.kind if draft is not None else "price"
    if draft is None or draft.state != PENDING:
        return Outcome(chat.text(f"{kind}.closed"))
    answer = await act(press, draft)
    uow.session.add(draft)
    if press.message_id is not None:
        text = str(draft.spec.get("preview", "")) + "\n\n" + answer
        await submit(uow, f"rdp:{draft.id}", chat.chat_id, Lane.PROMPT, "editMessageText",
                     {"text": text, "message_id": press.message_id})  # fmt: skip
    return Outcome(answer)


async def _drop(press: Press, draft: RuleDraft) -> str:
    chat, uow = press.chat, press.uow
    draft.state = CANCELLED
    action = "price_rule.cancel" if draft.kind == "price" else "promotion.cancel"
    audit.record(uow.session, uow.clock.now(), f"tg:{chat.user_id}", action, target=draft.id,
                 role=chat.user.role, detail={"spec": draft.spec})  # fmt: skip
    return chat.text(f"{draft.kind}.cancelled")


async def _apply(press: Press, draft: RuleDraft) -> str:
    if draft.kind == "price":
        return await _apply_floor(press, draft)
    return await _apply_promotion(press, draft)


async def _apply_floor(press: Press, draft: RuleDraft) -> str:
    uow, chat, spec = press.uow, press.chat, draft.spec
    product = (await catalog.products(uow.session, [spec["sku"]])).get(spec["sku"])
    if product is None or product.currency != spec["currency"]:
        draft.state = CANCELLED
        return chat.text("price.changed", sku=spec["sku"])
    basis = await price_basis(uow.session, product, uow.clock.now())
    if basis != spec.get("basis", basis):  # another change since: the preview is stale
        draft.state = STALE
        floor = format_amount(basis["floor"], product.currency)
        return chat.text("price.stale", sku=product.sku, floor=floor, currency=product.currency)
    rule, _ = await set_floor(
        uow, scope="sku", key=product.sku, floor=spec["floor"], currency=product.currency,
        effective_at=None, actor=f"tg:{chat.user_id}", role=chat.user.role,
    )  # fmt: skip
    draft.state, draft.result = APPLIED, str(rule.id)
    floor = format_amount(rule.floor, rule.currency)
    return chat.text("price.applied", sku=product.sku, floor=floor, currency=rule.currency)


async def _apply_promotion(press: Press, draft: RuleDraft) -> str:
    uow, chat, spec = press.uow, press.chat, draft.spec
    body = PromotionBody.model_validate(spec["body"], context=validation_context(hq_zone(chat)))
    if "basis" in spec and await promo_basis(uow.session, body, uow.clock.now()) != spec["basis"]:
        draft.state = STALE
        return chat.text("promo.stale")
    try:
        actor = f"tg:{chat.user_id}"
        promotion = await create_promotion(uow, body, actor=actor, role=chat.user.role)
    except RuleError as exc:
        draft.state = CANCELLED
        return "\n".join(chat.text(f"promo.{p.code}", **p.values) for p in exc.problems)
    draft.state, draft.result = APPLIED, promotion.id
    return chat.text("promo.applied", id=promotion.id, name=promotion.name)
