"""HQ's price rules in chat: /price and /promo (a preview, then Apply or Cancel), and /prices.

``/price SKU AMOUNT`` and ``/promo …`` (syntax in ``bots.dealer.rule_parsing``) change
nothing by themselves: they answer with a preview — the rule, and how many dealer chats
will be told — under Apply and Cancel buttons. Apply sets the rule, audits it and starts
its broadcast in one transaction (``services.pricing.store``); the draft's state makes
either button work once, and Apply refuses if the rules changed since the preview
(``bots.dealer.rule_basis``). A floor of 0 or above the list price is previewed with its
risk, under an Apply button that names the value. Anyone but HQ is refused politely and
the attempt audited. ``/prices`` shows a dealer the floors in force and the promotions of
their region.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update

from bots.dealer.context import BotContext, BoundChat, Chat, reply
from bots.dealer.guard import command, command_text
from bots.dealer.models import RuleDraft
from bots.dealer.rule_basis import floor_risk, price_basis, promo_basis
from bots.dealer.rule_parsing import PriceRequest, PromoText, parse_price, parse_promo
from services.broadcasts.public import audience_size
from services.catalog import public as catalog
from services.pricing.public import (
    ProductFloor,
    Promotion,
    PromotionBody,
    RuleError,
    check_promotion,
    create_promotion,
    discount_text,
    price_list,
    set_floor,
    validation_context,
)
from shared import audit
from shared.chat.buttons import issue
from shared.chat.i18n import Problem
from shared.chat.models import ButtonToken
from shared.chat.outbox import Lane, submit
from shared.chat.render import keyboard
from shared.chat.zones import zone_name
from shared.db.uow import UnitOfWork, unit_of_work
from shared.money import MoneyError, format_amount, parse_amount
from shared.regions import region_name

HQ = ("hq",)
APPLY, CANCEL = "rule_apply", "rule_cancel"  # button actions, dispatched by bots.dealer.callbacks
PENDING, APPLIED, CANCELLED = "pending", "applied", "cancelled"
STALE = "stale"  # refused: the rules changed after the preview (``rule_basis``)
SHOWN_FLOORS = 30  # /prices lists this many products, then says how many more
SHOWN_PROMOTIONS = 15
SHOWN_ITEMS = 8  # SKUs, categories or regions named in one line
SHOWN_ERRORS = 5
MAX_TEXT = 4000  # Telegram takes 4,096 characters


def _zone(chat: Chat) -> tzinfo:
    return ZoneInfo(chat.runtime.settings.hq_timezone)


def _when(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


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
        apply = await issue(uow, APPLY, draft.id, chat.user.dealer_id, HQ)
        cancel = await issue(uow, CANCEL, draft.id, chat.user.dealer_id, HQ)
    labels = label or chat.text(f"{kind}.apply"), chat.text(f"{kind}.cancel")
    await reply(update, text, keyboard([[(labels[0], apply), (labels[1], cancel)]]))


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
    label, risk = None, floor_risk(floor, product)
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
    now, zone = chat.runtime.clock.now(), _zone(chat)
    data = {"starts_at": now.isoformat()} | parsed.data
    if parsed.needs_currency:
        data["currency"] = await _currency_of(session, data) or ""
    try:
        body = PromotionBody.model_validate(data, context=validation_context(zone))
    except ValidationError as exc:
        return _invalid_text(chat, exc)
    problems = await check_promotion(session, body, now)
    if problems:
        return "\n".join(chat.text(f"promo.{p.code}", **p.values) for p in problems[:SHOWN_ERRORS])
    audience = 0
    regions: list[str | None] = list(body.regions) or [None]
    for region in regions:
        audience += await audience_size(session, region)
    summary = _summary(chat, body, zone)
    text = _fit([chat.text("promo.preview", summary=summary, audience=audience)])
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


def _listed(names: Sequence[str]) -> str:
    more = len(names) - SHOWN_ITEMS
    return ", ".join(names[:SHOWN_ITEMS]) + (f" … (+{more})" if more > 0 else "")


def _items(chat: Chat, skus: Sequence[str], categories: Sequence[str]) -> str:
    return _listed([*skus, *(chat.text("promo.category_item", category=c) for c in categories)])


def _fit(lines: list[str]) -> str:
    """The lines as one message within Telegram's length, cut at a line if need be."""
    text = "\n".join(lines)
    if len(text) <= MAX_TEXT:
        return text
    return text[: text.rfind("\n", 0, MAX_TEXT - 2)] + "\n…"


def _summary(chat: Chat, body: PromotionBody, zone: tzinfo) -> str:
    names = [region_name(r, chat.language) for r in body.regions]
    regions = _listed(names) or chat.text("promo.everywhere")
    cap = str(body.unit_cap) if body.unit_cap is not None else chat.text("promo.no_cap")
    return chat.text(
        "promo.summary", name=body.name,
        discount=discount_text(body.percent_bp, body.amount_minor, body.currency),
        items=_items(chat, body.skus, body.categories), starts=_when(body.starts_at, zone),
        ends=_when(body.ends_at, zone), zone=zone_name(zone, chat.language, body.starts_at),
        regions=regions,
        funder=chat.text(f"promo.funder.{body.funded_by}"), cap=cap,
        stack=chat.text("promo.stack.yes" if body.stackable else "promo.stack.no"),
    )  # fmt: skip


async def on_button(uow: UnitOfWork, token: ButtonToken, chat: Chat, message_id: int | None) -> str:
    """Apply or Cancel under a preview: set the rule or drop it; returns the answer.

    The preview is edited (through the chat outbox) to say what happened, without buttons.
    """
    assert chat.user is not None
    draft = await uow.session.get(RuleDraft, token.subject, with_for_update=True)
    kind = draft.kind if draft is not None else "price"
    if draft is None or draft.state != PENDING:
        return chat.text(f"{kind}.closed")
    actor = f"tg:{chat.user_id}"
    if token.action == APPLY:
        answer = await _apply(uow, chat, draft, actor)
    else:
        draft.state = CANCELLED
        action = "price_rule.cancel" if kind == "price" else "promotion.cancel"
        audit.record(uow.session, uow.clock.now(), actor, action, target=draft.id,
                     role=chat.user.role, detail={"spec": draft.spec})  # fmt: skip
        answer = chat.text(f"{kind}.cancelled")
    uow.session.add(draft)
    if message_id is not None:
        text = str(draft.spec.get("preview", "")) + "\n\n" + answer
        await submit(uow, f"rdp:{draft.id}", chat.chat_id, Lane.PROMPT, "editMessageText",
                     {"text": text, "message_id": message_id})  # fmt: skip
    return answer


async def _apply(uow: UnitOfWork, chat: Chat, draft: RuleDraft, actor: str) -> str:
    assert chat.user is not None
    role, spec = chat.user.role, draft.spec
    now = uow.clock.now()
    if draft.kind == "price":
        product = (await catalog.products(uow.session, [spec["sku"]])).get(spec["sku"])
        if product is None or product.currency != spec["currency"]:
            draft.state = CANCELLED
            return chat.text("price.changed", sku=spec["sku"])
        basis = await price_basis(uow.session, product, now)
        if basis != spec.get("basis", basis):  # another change since: the preview is stale
            draft.state = STALE
            floor = format_amount(basis["floor"], product.currency)
            return chat.text("price.stale", sku=product.sku, floor=floor, currency=product.currency)
        rule, _ = await set_floor(
            uow, scope="sku", key=product.sku, floor=spec["floor"], currency=product.currency,
            effective_at=None, actor=actor, role=role,
        )  # fmt: skip
        draft.state, draft.result = APPLIED, str(rule.id)
        floor = format_amount(rule.floor, rule.currency)
        return chat.text("price.applied", sku=product.sku, floor=floor, currency=rule.currency)
    body = PromotionBody.model_validate(spec["body"], context=validation_context(_zone(chat)))
    if "basis" in spec and await promo_basis(uow.session, body, now) != spec["basis"]:
        draft.state = STALE
        return chat.text("promo.stale")
    try:
        promotion = await create_promotion(uow, body, actor=actor, role=role)
    except RuleError as exc:
        draft.state = CANCELLED
        return "\n".join(chat.text(f"promo.{p.code}", **p.values) for p in exc.problems)
    draft.state, draft.result = APPLIED, promotion.id
    return chat.text("promo.applied", id=promotion.id, name=promotion.name)


@command("prices")
async def prices(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/prices: the floors in force and the promotions for this dealer's region (HQ: all)."""
    now = chat.runtime.clock.now()
    async with chat.runtime.db.read() as session:
        region = None
        if chat.user.role != "hq":
            dealer = await catalog.dealer(session, chat.user.dealer_id)
            region = dealer.region if dealer is not None else ""
        floors, promotions = await price_list(session, region, now)
    await reply(update, prices_text(chat, floors, promotions, region, now))


def prices_text(
    chat: Chat,
    floors: Sequence[ProductFloor],
    promotions: Sequence[Promotion],
    region: str | None,
    now: datetime,
) -> str:
    """The reply to /prices."""
    zone = _zone(chat)
    lines = [chat.text("prices.floors") if floors else chat.text("prices.no_products")]
    for item in floors[:SHOWN_FLOORS]:
        floor = format_amount(item.floor.amount, item.currency)
        lines.append(chat.text("prices.floor", sku=item.sku, name=item.name, floor=floor,
                               currency=item.currency))  # fmt: skip
        if item.next_floor is not None:
            later = format_amount(item.next_floor.floor, item.currency)
            at = _when(item.next_floor.effective_at, zone)
            lines.append(chat.text("prices.next", floor=later, currency=item.currency, at=at))
    if len(floors) > SHOWN_FLOORS:
        lines.append(chat.text("prices.more", count=len(floors) - SHOWN_FLOORS))
    where = region_name(region, chat.language) if region else chat.text("promo.everywhere")
    lines.append("")
    if not promotions:
        lines.append(chat.text("prices.no_promos", region=where))
    else:
        lines.append(chat.text("prices.promos", region=where,
                               zone=zone_name(zone, chat.language, now)))  # fmt: skip
    for p in promotions[:SHOWN_PROMOTIONS]:
        state = "live" if p.starts_at <= now else "scheduled"
        left = "" if p.unit_cap is None else " " + chat.text(
            "prices.left", left=max(0, p.unit_cap - p.units_sold)
        )  # fmt: skip
        lines.append(chat.text(
            f"prices.promo.{state}", name=p.name,
            discount=discount_text(p.percent_off, p.amount_off, p.currency),
            items=_items(chat, p.skus, p.categories), starts=_when(p.starts_at, zone),
            ends=_when(min(p.ends_at, p.ended_at or p.ends_at), zone),
        ) + left)  # fmt: skip
    if len(promotions) > SHOWN_PROMOTIONS:
        lines.append(chat.text("prices.more_promos", count=len(promotions) - SHOWN_PROMOTIONS))
    return _fit(lines)
