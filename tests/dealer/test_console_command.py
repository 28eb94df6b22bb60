"""/console in chat: HQ's and finance's one-time link to the web console, and who is refused.

The link the bot sends is followed as a browser would (``tests/api/test_console_sessions``
plays the browser): its token signs the member in, with their role's scopes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from baton.api import serve_api
from services.access.public import LINK_TTL
from shared.audit import entries
from shared.chat.i18n import t
from shared.chat.menus import MENUS
from shared.clock import FakeClock
from shared.runtime import Runtime
from tests.api.test_console_sessions import Browser, Session, csrf_of
from tests.conftest import ApiClient
from tests.dealer.conftest import Chats

LINK = re.compile(r"(\S+/sign-in\?t=([A-Za-z0-9_-]+))")


@pytest.fixture
async def api(runtime: Runtime, clock: FakeClock) -> AsyncIterator[ApiClient]:
    """The API on the test's clock, as the bot's (``chats`` sets it only after the API is
    built, and the app keeps the clock it was built with)."""
    runtime.clock = clock
    async with serve_api(runtime) as url, aiohttp.ClientSession() as http:
        yield ApiClient(url, http)


@pytest.fixture
async def browser(api: ApiClient) -> AsyncIterator[Browser]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        yield Browser(api.url, http)


async def ask(chats: Chats, user_id: int, text: str, contains: str) -> str:
    """What the bot answers ``user_id`` for ``text`` (its first answer containing ``contains``)."""
    sent = await chats.say(user_id, text)
    answer = await chats.expect(user_id, contains, after=int(sent["message_id"]))
    return str(answer["text"])


async def follow(browser: Browser, user_id: int, token: str) -> Session:
    """Press Sign in on the link's page: the session it opens."""
    answer = await browser.sign_in(token)
    assert answer.status == 303 and answer.headers["Location"] == "/console", answer.text
    secret = answer.cookies["baton_session"].value
    page = await browser.go("GET", "/console", cookies={"baton_session": secret})
    assert page.status == 200
    return Session(user_id, secret, csrf_of(page.text))


async def test_hq_and_finance_get_a_link_in_their_language_that_signs_them_in(
    chats: Chats, runtime: Runtime, browser: Browser
) -> None:
    hq = await chats.bound("hq", "hq", "en")
    finance = await chats.bound("hq", "finance", "zh")
    sessions: dict[int, Session] = {}
    for user_id, language in ((hq, "en"), (finance, "zh")):
        said = await ask(chats, user_id, "/console", "/sign-in?t=")
        found = LINK.search(said)
        assert found is not None, said
        link, token = found.groups()
        assert link == f"{runtime.settings.console_url}/sign-in?t={token}"
        minutes = int(LINK_TTL.total_seconds() // 60)
        assert said == t(language, "console.link", minutes=minutes, link=link)
        sessions[user_id] = await follow(browser, user_id, token)
        again = await browser.sign_in(token)
        assert again.status == 400  # the link worked once
    assert t("en", "console.link", minutes=5, link="L").startswith("Your link")
    assert "5 minutes" in t("en", "console.link", minutes=5, link="L")
    assert "5 分钟" in t("zh", "console.link", minutes=5, link="L")

    # Each session has its role's scopes.
    for session in sessions.values():
        assert (await browser.go("GET", "/v1/orders", session=session)).status == 200
        assert (await browser.go("GET", "/v1/keys", session=session)).status == 403
    assert (await browser.go("GET", "/v1/promotions", session=sessions[hq])).status == 200
    assert (await browser.go("GET", "/v1/promotions", session=sessions[finance])).status == 403
    money = await browser.go("GET", "/console/money", session=sessions[finance])
    pricing = await browser.go("GET", "/console/pricing", session=sessions[finance])
    assert (money.status, pricing.status) == (200, 403)

    async with runtime.db.read() as read:
        asked = list(reversed(await entries(read, action="console.link")))
        signed = list(reversed(await entries(read, action="console.sign_in")))
    assert [(e.actor, e.role) for e in asked] == [(f"tg:{hq}", "hq"), (f"tg:{finance}", "finance")]
    assert [(e.actor, e.allowed) for e in signed] == [
        (f"tg:{hq}", True), (f"tg:{hq}", False), (f"tg:{finance}", True), (f"tg:{finance}", False)
    ]  # fmt: skip


async def test_dealers_people_and_strangers_are_refused(chats: Chats, runtime: Runtime) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner", "en")
    staff = await chats.bound("near", "staff", "zh")
    stranger = await chats.user("nobody", "en")
    refusals = {
        owner: t("en", "not_allowed", role=t("en", "role.owner")),
        staff: t("zh", "not_allowed", role=t("zh", "role.staff")),
        stranger: t("en", "not_bound"),
    }
    for user_id, refusal in refusals.items():
        assert await ask(chats, user_id, "/console", refusal) == refusal
    async with runtime.db.read() as read:
        assert await entries(read, action="console.link") == []


async def test_help_lists_console_for_hq_and_finance_only(chats: Chats) -> None:
    finance = await chats.bound("hq", "finance", "en")
    hq = await chats.bound("hq", "hq", "zh")
    owner = await chats.bound("near", "owner", "en")
    title_en, title_zh = t("en", "help.title"), t("zh", "help.title")
    said = await ask(chats, finance, "/help", title_en)
    assert said == "\n".join([title_en, *(t("en", f"help.{key}") for key in MENUS["finance"])])
    assert MENUS["finance"] == ("console", "lang", "help")
    assert t("zh", "help.console") in (await ask(chats, hq, "/help", title_zh)).split("\n")
    assert t("en", "help.console") not in await ask(chats, owner, "/help", title_en)
