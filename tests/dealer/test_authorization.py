"""Who may do what: every role (and an unbound chat) against every command and button.

The expected answer of each cell comes from the role table (``PERMISSIONS``) and the
catalogs, so the test reads as the matrix it checks, in both languages.
"""

from __future__ import annotations

import asyncio
from typing import Any

from shared.chat.i18n import t
from shared.chat.identity import PERMISSIONS
from tests.bus.support import eventually
from tests.dealer.conftest import Chats

ROLES = ("owner", "staff", "hq", "finance", None)  # None: a chat nobody has bound
LANGUAGES = ("en", "zh")
# command → (action in the role table, the catalog text an allowed user gets, and the text
# a refused one gets: the general refusal unless the command has its own)
COMMANDS: dict[str, tuple[str, tuple[str, dict[str, Any]], str]] = {
    "/orders": ("orders", ("orders.none", {}), "not_allowed"),
    "/stock": ("stock", ("stock.none", {}), "not_allowed"),
    "/stock PX-1 3": ("stock", ("stock.saved", {"count": 1}), "not_allowed"),
    "/pickup ZZZZZZ 123456": ("handover", ("order.unknown", {"ref": "ZZZZZZ"}), "not_allowed"),
    "/delivered ZZZZZZ": ("handover", ("order.unknown", {"ref": "ZZZZZZ"}), "not_allowed"),
    "/pause": ("pause", ("pause.done", {}), "not_allowed"),
    "/resume": ("pause", ("resume.done", {}), "not_allowed"),
    "/earnings": ("earnings", ("earnings.none", {}), "not_allowed"),
    "/prices": ("prices", ("prices.floors", {}), "not_allowed"),
    "/broadcast": ("hq", ("broadcast.usage", {}), "broadcast.hq_only"),
    "/stats": ("hq", ("stats.none", {}), "stats.hq_only"),
    "/price": ("hq", ("price.usage", {}), "price.hq_only"),
    "/promo": ("hq", ("promo.usage", {}), "promo.hq_only"),
}


def expected(
    role: str | None, language: str, action: str, allowed: tuple[str, dict[str, Any]], refusal: str
) -> str:
    """What ``role`` should read after trying ``action``."""
    if role is None:
        return t(language, "not_bound")
    if role not in PERMISSIONS[action]:
        return t(language, refusal, role=t(language, f"role.{role}"))
    key, values = allowed
    return t(language, key, **values)


async def _answers(chats: Chats, user: int, text: str) -> str:
    before = await chats.last_id(user)
    await chats.say(user, text)
    return str((await chats.expect(user, "", after=before))["text"])


async def test_every_role_against_every_command_in_both_languages(chats: Chats) -> None:
    await chats.network()
    users: dict[tuple[str | None, str], int] = {}
    for role in ROLES:
        for language in LANGUAGES:
            if role is None:
                users[role, language] = await chats.user(f"nobody {language}", language)
            else:
                dealer = "hq" if role == "hq" else "near"
                users[role, language] = await chats.bound(dealer, role, language)

    async def try_one(role: str | None, language: str, command: str) -> str | None:
        action, allowed, refusal = COMMANDS[command]
        got = await _answers(chats, users[role, language], command)
        want = expected(role, language, action, allowed, refusal)
        return None if want in got else f"{role}/{language} {command}: {got!r}, not {want!r}"

    # One command at a time for every user at once: "/stock" is asked by all before anyone
    # reports a count, and "/pause" before "/resume".
    wrong = []
    for command in COMMANDS:
        wrong += await asyncio.gather(*(try_one(r, lang, command) for r, lang in users))
    assert [w for w in wrong if w] == []


async def test_every_presser_against_an_offers_buttons(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "zh")
    pressers = {
        "staff": await chats.bound("near", "staff", "en"),
        "other dealer's owner": await chats.bound("other", "owner", "zh"),
        "other dealer's staff": await chats.bound("other", "staff", "en"),
        "hq": await chats.bound("hq", "hq", "en"),
        "unbound": await chats.user("nobody", "en"),
    }
    await chats.order("AZ-1")
    offer = await chats.expect(owner, "新订单")
    decline = chats.button(offer, "拒绝")
    answers = {}
    for name, user in pressers.items():
        own = await chats.last_id(user)
        if own == 0:  # the unbound user has no message of the bot's to press a button on
            await chats.say(user, "/help")
            own = int((await chats.expect(user, ""))["message_id"])
        answer = await chats.emu.press(user, own, data=decline, forge=True, chat_id=user)
        answers[name] = answer.text
    assert answers == {
        "staff": None,  # allowed: the reasons replace the buttons
        "other dealer's owner": t("zh", "button.not_yours"),
        "other dealer's staff": t("en", "button.not_yours"),
        "hq": t("en", "button.not_yours"),
        "unbound": t("en", "not_bound"),
    }
    for forged in ("", "x" * 64, "' OR 1=1 --", offer["message_id"]):
        answer = await chats.emu.press(owner, offer["message_id"], data=str(forged), forge=True)
        assert answer.text == t("zh", "button.unknown")


async def test_another_dealers_order_is_unknown_to_commands(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 2)
    owner = await chats.bound("near", "owner", "en")
    stranger = await chats.bound("other", "staff", "zh")
    placed = await chats.order("AZ-2")
    ref = placed["id"].removeprefix("o_")[:6].upper()
    offer = await chats.expect(owner, f"New order {ref}")
    await chats.emu.press(owner, offer["message_id"], data=chats.button(offer, "Accept"))

    async def accepted() -> bool:
        _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
        return bool(view["status"] == "accepted")

    await eventually(accepted)
    for command in (f"/pickup {ref} {placed['pickup_code']}", f"/delivered {ref}",
                    f"/delivered {placed['id']}"):  # fmt: skip
        got = await _answers(chats, stranger, command)
        assert t("zh", "order.unknown", ref=command.split()[1]) in got
    _, view = await chats.api.call("GET", f"/v1/orders/{placed['id']}")
    assert view["status"] == "accepted"
