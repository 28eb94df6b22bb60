"""HQ's chat commands: /broadcast (preview, then Send or Cancel) and /stats.

``/broadcast`` alone explains the syntax; ``/broadcast TEXT`` goes to every region and
``/broadcast region=Sichuan TEXT`` (``region="Inner Mongolia"`` for a name with spaces;
``地区=四川`` works too: a region is named in either language) to one. The text may span
several lines. Nothing is sent before the HQ user presses Send under the preview, which
shows the text and how many dealer chats would get it. Anyone other than HQ is refused
politely, and the attempt is audited.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import Update

from bots.dealer.context import BotContext, BoundChat, Chat, reply
from bots.dealer.guard import command, command_text
from bots.dealer.presses import Outcome, Press
from services.broadcasts.public import (
    CANCELLED,
    DRAFT,
    MAX_TEXT,
    Broadcast,
    audience_size,
    body,
    counts,
    create,
    launch,
    recent,
    when,
)
from services.broadcasts.public import draft as broadcast_draft
from shared import audit
from shared.chat.buttons import issue
from shared.chat.i18n import Problem
from shared.chat.outbox import Lane, submit
from shared.chat.render import keyboard
from shared.db.uow import unit_of_work
from shared.regions import region_name

HQ = ("hq",)
SEND, CANCEL = "bc_send", "bc_cancel"  # button actions (``bots.dealer.callbacks.BUTTONS``)
_REGION = re.compile(
    r'(?:region|地区)\s*[=＝]\s*(?:"([^"]*)"|“([^”]*)”|([^\s"“”]\S*))(?=\s|$)', re.IGNORECASE
)


def parse_broadcast(rest: str) -> tuple[str | None, str] | Problem:
    """``[region=REGION] TEXT`` as (region or None, text); a Problem if it cannot be sent."""
    rest = rest.strip()
    region = None
    match = _REGION.match(rest)
    if match is not None:
        region = next((g for g in match.groups() if g is not None), "").strip()
        rest = rest[match.end() :].strip()
        if not region or len(region) > 64:
            return Problem("broadcast.bad_region")
    elif re.match(r"(?:region|地区)\s*[=＝]", rest, re.IGNORECASE):
        return Problem("broadcast.bad_region")  # an unclosed quote
    if not rest:
        return Problem("broadcast.usage")
    if len(rest) > MAX_TEXT:
        return Problem("broadcast.too_long", {"length": len(rest), "limit": MAX_TEXT})
    return region, rest


def _where(chat: Chat, region: str | None) -> str:
    if region is None:
        return chat.text("broadcast.where_all")
    return chat.text("broadcast.where_region", region=region_name(region, chat.language))


@command("hq", refusal="broadcast.hq_only", audit="broadcast.send")
async def broadcast(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/broadcast [region=REGION] TEXT: a preview with the audience, then Send or Cancel."""
    parsed = parse_broadcast(command_text(update))
    if isinstance(parsed, Problem):
        await reply(update, chat.text(parsed.key, **parsed.values))
        return
    region, text = parsed
    async with unit_of_work(chat.runtime.db, chat.runtime.clock) as uow:
        audience = await audience_size(uow.session, region)
        markup = None
        if audience:
            draft = await create(
                uow, kind="notice", params={"text": text}, region=region,
                created_by=f"tg:{chat.user_id}", requires_ack=False, state=DRAFT,
            )  # fmt: skip
            send_id = await issue(uow, SEND, draft.id, chat.user.dealer_id, HQ)
            cancel_id = await issue(uow, CANCEL, draft.id, chat.user.dealer_id, HQ)
            labels = chat.text("broadcast.send"), chat.text("broadcast.cancel")
            markup = keyboard([[(labels[0], send_id), (labels[1], cancel_id)]])
    if not audience:
        await reply(update, chat.text("broadcast.nobody", where=_where(chat, region)))
        return
    preview = _preview(chat, draft, audience)
    await reply(update, preview, markup)


def _preview(chat: Chat, draft: Broadcast, audience: int) -> str:
    return chat.text(
        "broadcast.preview", audience=audience, where=_where(chat, draft.region),
        text=body(draft.kind, draft.params, chat.language),
    )  # fmt: skip


async def send(press: Press) -> Outcome:
    """Send under a preview: the broadcast starts, once (see ``_close``)."""
    return await _close(press, _launch)


async def cancel(press: Press) -> Outcome:
    """Cancel under a preview: the draft is dropped, once, and the cancel audited."""
    return await _close(press, _drop)


async def _close(press: Press, act: Callable[[Press, Broadcast], Awaitable[str]]) -> Outcome:
    """Do ``act`` to the preview's draft if it is still a draft; the answer says what happened.

    Either button works once: the draft's state decides, so a second press, or Cancel
    after Send, changes nothing. The preview is edited (through the chat outbox, within
    Telegram's limits) to say what happened, without its buttons.
    """
    chat = press.chat
    draft = await broadcast_draft(press.uow.session, press.token.subject)
    if draft is None or draft.state != DRAFT:
        return Outcome(chat.text("broadcast.closed"))
    answer = await act(press, draft)
    if press.message_id is not None:
        text = _preview(chat, draft, draft.audience) + "\n\n" + answer
        await submit(press.uow, f"bcp:{draft.id}", chat.chat_id, Lane.PROMPT, "editMessageText",
                     {"text": text, "message_id": press.message_id})  # fmt: skip
    return Outcome(answer)


async def _launch(press: Press, draft: Broadcast) -> str:
    chat = press.chat
    await launch(press.uow, draft, role=chat.user.role)
    return chat.text("broadcast.sending", id=draft.id, audience=draft.audience)


async def _drop(press: Press, draft: Broadcast) -> str:
    chat, uow = press.chat, press.uow
    draft.state = CANCELLED
    uow.session.add(draft)
    audit.record(uow.session, uow.clock.now(), f"tg:{chat.user_id}", "broadcast.cancel",
                 target=draft.id, role=chat.user.role)  # fmt: skip
    return chat.text("broadcast.cancelled")


@command("hq", refusal="stats.hq_only", audit="broadcast.stats")
async def stats(update: Update, context: BotContext, chat: BoundChat) -> None:
    """/stats: a line per recent broadcast with its delivery and acknowledgement counts."""
    async with chat.runtime.db.read() as session:
        shown = await recent(session)
        lines = [_stats_line(chat, item, await counts(session, item)) for item in shown]
    if not lines:
        await reply(update, chat.text("stats.none"))
        return
    await reply(update, "\n".join([chat.text("stats.title"), *lines]))


def _stats_line(chat: Chat, item: Broadcast, numbers: dict[str, int]) -> str:
    shown = {k: numbers[k] for k in ("audience", "sent", "delivered", "failed", "blocked")}
    return chat.text(
        "stats.line", id=item.id, at=when(item.started_at or item.created_at),
        kind=chat.text(f"broadcast.kind.{item.kind}"), where=_where(chat, item.region),
        acknowledged=str(numbers["acknowledged"]) if item.requires_ack else "—", **shown,
    )  # fmt: skip
