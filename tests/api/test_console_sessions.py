"""HQ's console without a browser: one-time links, sessions, CSRF, pages, language, assets.

A member bound in chat (a real invitation, redeemed) asks for a link as ``/console`` does
(``issue_link``), and the test then plays the browser over raw HTTP against the served API,
setting its cookies by hand. The served app's clock is the test's ``FakeClock`` (``api`` is
overridden below before the app is built, as the app reads ``runtime.clock`` once), so
links and sessions expire, and the sessions' cache lapses, only when the test moves it.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from importlib import resources
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from baton.api import serve_api
from baton.console.pages import PAGES
from baton.console.texts import text
from services.access.public import (
    CLI_USER,
    CONSOLE_SCOPES,
    LINK_TTL,
    SESSION_TTL,
    Opened,
    issue_link,
    redeem_link,
)
from shared.audit import AuditEntry, entries
from shared.chat.i18n import Problem
from shared.chat.identity import create_invite, redeem
from shared.chat.models import ChatUser
from shared.clock import FakeClock
from shared.db.uow import unit_of_work
from shared.http.access import PRESETS
from shared.runtime import Runtime
from tests.api.test_errors import PRODUCT
from tests.conftest import ApiClient

HQ_USER, FINANCE_USER, OTHER_USER = 7001, 7002, 7003
SIGN_IN = "/console/sign-in"


@pytest.fixture
async def api(runtime: Runtime, clock: FakeClock) -> AsyncIterator[ApiClient]:
    """The API on the test's clock (set before the app is built: it keeps the clock)."""
    runtime.clock = clock
    async with serve_api(runtime) as url, aiohttp.ClientSession() as http:
        yield ApiClient(url, http)


@dataclass
class Answer:
    """An answer as a browser would see it, redirects not followed."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    cookies: SimpleCookie

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str:
        """The error code of an API refusal."""
        return str(self.json()["error"]["code"])


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its member, the cookie's secret, and the pages' CSRF token."""

    user_id: int
    secret: str
    csrf: str


class Browser:
    """Raw HTTP to the served app; cookies go in by hand (127.0.0.1 keeps no cookie jar)."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http

    async def go(
        self,
        method: str,
        path: str,
        *,
        session: Session | None = None,
        csrf: str | None = None,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Answer:
        sent = dict(headers or {})
        jar = dict(cookies or {})
        if session is not None:
            jar["baton_session"] = session.secret
        if jar:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        if csrf is not None:
            sent["X-CSRF-Token"] = csrf
        async with self.http.request(
            method, self.url + path, headers=sent, allow_redirects=False, **kwargs
        ) as answer:
            return Answer(answer.status, answer.headers, await answer.read(), answer.cookies)

    async def sign_in(self, token: str, **headers: str) -> Answer:
        """Press the sign-in page's button (its form posts the link's token)."""
        return await self.go("POST", SIGN_IN, data={"t": token}, headers=headers)


@pytest.fixture
async def browser(api: ApiClient) -> AsyncIterator[Browser]:
    """A browser of the served app that neither keeps cookies nor unpacks gzip."""
    async with aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
    ) as http:
        yield Browser(api.url, http)


async def bind(runtime: Runtime, user_id: int, role: str, language: str = "en") -> None:
    """Bind a chat user to HQ as ``role`` with a real invitation (again: moves them)."""
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        invite = await create_invite(uow, "hq", role, created_by="test")
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        bound = await redeem(uow, invite.code, user_id, user_id, f"{role} {user_id}", language)
    assert not isinstance(bound, Problem), bound


async def unbind(runtime: Runtime, user_id: int) -> None:
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        user = await uow.session.get(ChatUser, user_id)
        assert user is not None
        user.active = False
        uow.session.add(user)


async def link(runtime: Runtime, user_id: int, role: str) -> str:
    """What ``/console`` asks for: a one-time token for the member."""
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        return await issue_link(uow, user_id, role)


async def redeem_now(runtime: Runtime, token: str) -> Opened | str:
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        return await redeem_link(uow, token)


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    """The entries of ``action``, oldest first."""
    async with runtime.db.read() as session:
        return list(reversed(await entries(session, action=action)))


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


async def signed_in(browser: Browser, runtime: Runtime, user_id: int, role: str) -> Session:
    """A member bound as ``role``, signed in with a fresh link; the CSRF token from a page."""
    await bind(runtime, user_id, role)
    answer = await browser.sign_in(await link(runtime, user_id, role))
    assert answer.status == 303 and answer.headers["Location"] == "/console", answer.text
    secret = answer.cookies["baton_session"].value
    page = await browser.go("GET", "/console", cookies={"baton_session": secret})
    assert page.status == 200, page.text
    return Session(user_id, secret, csrf_of(page.text))


def notice(language: str, key: str) -> str:
    """A sign-in notice as the page shows it (HTML-escaped)."""
    return text(language, key).replace("'", "&#39;")


# 1. Links ----------------------------------------------------------------------------------


async def test_a_link_signs_in_once_and_every_step_is_audited_as_the_member(
    browser: Browser, runtime: Runtime
) -> None:
    await bind(runtime, HQ_USER, "hq")
    token = await link(runtime, HQ_USER, "hq")

    first = await browser.sign_in(token)
    assert first.status == 303 and first.headers["Location"] == "/console"
    cookie = first.cookies["baton_session"]
    assert cookie.value and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/" and cookie["max-age"] == str(int(SESSION_TTL.total_seconds()))
    assert not cookie["secure"]  # plain http on 127.0.0.1, no public https URL

    again = await browser.sign_in(token)
    assert again.status == 400 and "baton_session" not in again.cookies
    assert notice("en", "sign_in.used") in again.text

    who = f"tg:{HQ_USER}"
    [asked] = await audit(runtime, "console.link")
    assert (asked.actor, asked.role, asked.allowed) == (who, "hq", True)
    signed, refused = await audit(runtime, "console.sign_in")
    assert (signed.actor, signed.role, signed.allowed) == (who, "hq", True)
    assert (refused.actor, refused.allowed, refused.detail) == (who, False, {"why": "used"})


async def test_sign_ins_from_one_address_are_limited(browser: Browser, runtime: Runtime) -> None:
    # Ten a minute from one address (shared.http.limits): enough for people, not for a
    # script guessing links or filling the audit log with refusals.
    for n in range(10):
        assert (await browser.sign_in(f"guess-{n}")).status == 400
    answer = await browser.sign_in("guess-10")
    assert answer.status == 429 and notice("en", "sign_in.wait") in answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    assert len(await audit(runtime, "console.sign_in")) == 10  # the 11th was not looked up


async def test_a_forged_or_unknown_token_is_refused_and_audited_as_nobody(
    browser: Browser, runtime: Runtime
) -> None:
    await bind(runtime, HQ_USER, "hq")
    real = await link(runtime, HQ_USER, "hq")
    for forged in ("forged-token", real[:-1] + ("A" if real[-1] != "A" else "B")):
        answer = await browser.sign_in(forged)
        assert answer.status == 400 and "baton_session" not in answer.cookies
        assert notice("en", "sign_in.unknown") in answer.text
    assert await redeem_now(runtime, "x" * 32) == "unknown"
    refusals = await audit(runtime, "console.sign_in")
    assert [(e.actor, e.allowed, e.detail) for e in refusals] == [
        ("console", False, {"why": "unknown"})
    ] * 3
    assert isinstance(await redeem_now(runtime, real), Opened)  # the real one is unspent


async def test_an_empty_or_overlong_token_is_refused_without_a_lookup(
    browser: Browser, runtime: Runtime
) -> None:
    for token in ("", "t" * 129):
        answer = await browser.sign_in(token)
        assert answer.status == 400 and notice("en", "sign_in.unknown") in answer.text
    assert await audit(runtime, "console.sign_in") == []


async def test_a_link_expires_after_five_minutes(
    browser: Browser, runtime: Runtime, clock: FakeClock
) -> None:
    assert timedelta(minutes=5) == LINK_TTL
    await bind(runtime, HQ_USER, "hq")
    early, late = await link(runtime, HQ_USER, "hq"), await link(runtime, HQ_USER, "hq")
    clock.advance(minutes=5, seconds=-1)
    assert (await browser.sign_in(early)).status == 303  # still within the five minutes
    clock.advance(seconds=1)
    answer = await browser.sign_in(late)
    assert answer.status == 400 and notice("en", "sign_in.expired") in answer.text
    refused = (await audit(runtime, "console.sign_in"))[-1]
    assert (refused.actor, refused.allowed, refused.detail) == (
        f"tg:{HQ_USER}", False, {"why": "expired"}
    )  # fmt: skip


async def test_a_link_of_a_member_unbound_or_moved_since_is_refused(
    browser: Browser, runtime: Runtime
) -> None:
    await bind(runtime, HQ_USER, "hq")
    await bind(runtime, FINANCE_USER, "hq")
    unbound, moved = await link(runtime, HQ_USER, "hq"), await link(runtime, FINANCE_USER, "hq")
    await unbind(runtime, HQ_USER)
    await bind(runtime, FINANCE_USER, "finance")  # a new invitation moves them to finance
    for token in (unbound, moved):
        answer = await browser.sign_in(token)
        assert answer.status == 400 and "baton_session" not in answer.cookies
        assert notice("en", "sign_in.not_member") in answer.text
    refusals = await audit(runtime, "console.sign_in")
    assert [(e.actor, e.allowed, e.detail) for e in refusals] == [
        (f"tg:{HQ_USER}", False, {"why": "not_member"}),
        (f"tg:{FINANCE_USER}", False, {"why": "not_member"}),
    ]


async def test_only_console_roles_get_a_link(runtime: Runtime) -> None:
    assert set(CONSOLE_SCOPES) == {"hq", "finance", "admin"}
    for user_id, role in ((HQ_USER, "owner"), (HQ_USER, "staff"), (HQ_USER, "admin"),
                          (CLI_USER, "hq"), (HQ_USER, "nobody")):  # fmt: skip
        with pytest.raises(ValueError):
            await link(runtime, user_id, role)
    assert await audit(runtime, "console.link") == []


# 2. Sessions -------------------------------------------------------------------------------


async def test_a_session_has_its_roles_scopes(browser: Browser, runtime: Runtime) -> None:
    assert CONSOLE_SCOPES["hq"] == frozenset(PRESETS["hq"])
    assert CONSOLE_SCOPES["finance"] == frozenset(PRESETS["finance"])
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    finance = await signed_in(browser, runtime, FINANCE_USER, "finance")
    for session in (hq, finance):
        answer = await browser.go("GET", "/v1/orders", session=session)
        assert answer.status == 200 and answer.json()["orders"] == []
    assert (await browser.go("GET", "/v1/promotions", session=hq)).status == 200
    assert (await browser.go("GET", "/v1/keys", session=hq)).status == 403  # admin only
    for method, path in (("POST", "/v1/promotions"), ("GET", "/v1/keys"),
                         ("GET", "/v1/promotions"), ("POST", "/v1/broadcasts")):  # fmt: skip
        answer = await browser.go(method, path, session=finance, csrf=finance.csrf, json={})
        assert (answer.status, answer.code) == (403, "forbidden"), (method, path)
    assert (await browser.go("GET", "/v1/payouts", session=finance)).status == 200


async def test_a_change_needs_the_sessions_csrf_token(browser: Browser, runtime: Runtime) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    other = await signed_in(browser, runtime, OTHER_USER, "hq")
    assert hq.csrf != other.csrf
    body = {"name": "x"}  # not a promotion: 422 once past the checks
    for csrf in (None, "", "wrong", other.csrf):
        answer = await browser.go("POST", "/v1/promotions", session=hq, csrf=csrf, json=body)
        assert (answer.status, answer.code) == (403, "csrf"), csrf
    answer = await browser.go("POST", "/v1/promotions", session=hq, csrf=hq.csrf, json=body)
    assert (answer.status, answer.code) == (422, "invalid")
    # PUT is a change too; a read needs no token.
    answer = await browser.go("PUT", "/v1/products/PX-1", session=hq, json=PRODUCT)
    assert (answer.status, answer.code) == (403, "csrf")
    assert (await browser.go("GET", "/v1/products", session=hq)).status == 200


async def test_a_bearer_header_wins_over_the_cookie(browser: Browser, runtime: Runtime) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    bad = {"Authorization": "Bearer nope"}
    answer = await browser.go("GET", "/v1/orders", session=hq, headers=bad)
    assert (answer.status, answer.code) == (401, "unauthorized")


async def test_an_unknown_session_cookie_is_401(browser: Browser) -> None:
    for cookie in ("nope", "x" * 200):
        answer = await browser.go("GET", "/v1/orders", cookies={"baton_session": cookie})
        assert (answer.status, answer.code) == (401, "unauthorized")


async def test_a_change_through_a_session_is_audited_as_the_member(
    api: ApiClient, browser: Browser, runtime: Runtime
) -> None:
    assert (await api.call("PUT", "/v1/products/PX-1", PRODUCT))[0] == 201
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    now = runtime.clock.now()
    promotion = {
        "name": "Spring", "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(), "skus": ["PX-1"],
        "percent_off": "5", "funded_by": "hq", "regions": ["sichuan"],
    }  # fmt: skip
    answer = await browser.go("POST", "/v1/promotions", session=hq, csrf=hq.csrf, json=promotion)
    assert answer.status == 201, answer.text
    status, log = await api.call("GET", "/v1/audit?action=promotion.create")
    assert status == 200
    [entry] = log["entries"]
    assert (entry["actor"], entry["target"]) == (f"tg:{HQ_USER}", answer.json()["id"])
    answer = await browser.go("GET", "/v1/audit?action=promotion.create", session=hq)
    assert answer.status == 200 and answer.json()["entries"][0]["actor"] == f"tg:{HQ_USER}"


async def test_an_hq_session_may_not_invite_hq(browser: Browser, runtime: Runtime) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    for role in ("hq", "finance"):
        body = {"dealer_id": "hq", "role": role}
        answer = await browser.go("POST", "/v1/invites", session=hq, csrf=hq.csrf, json=body)
        assert (answer.status, answer.code) == (403, "forbidden")
    refused = await audit(runtime, "invite.create")
    assert [(e.actor, e.allowed) for e in refused] == [(f"tg:{HQ_USER}", False)] * 2


async def test_signing_out_ends_the_session(browser: Browser, runtime: Runtime) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    for wrong in ("", "wrong"):
        answer = await browser.go("POST", "/console/sign-out", session=hq, data={"csrf": wrong})
        assert answer.status == 403
    assert (await browser.go("GET", "/v1/orders", session=hq)).status == 200

    out = await browser.go("POST", "/console/sign-out", session=hq, data={"csrf": hq.csrf})
    assert out.status == 303 and out.headers["Location"] == f"{SIGN_IN}?m=out"
    assert out.cookies["baton_session"].value == ""  # the browser forgets it
    assert out.cookies["baton_session"]["max-age"] == "0"
    answer = await browser.go("GET", "/v1/orders", session=hq)  # no clock move: at once
    assert (answer.status, answer.code) == (401, "unauthorized")
    page = await browser.go("GET", "/console", session=hq)
    assert page.status == 303 and page.headers["Location"] == f"{SIGN_IN}?m=ended"
    [ended] = await audit(runtime, "console.sign_out")
    assert (ended.actor, ended.role, ended.allowed) == (f"tg:{HQ_USER}", "hq", True)
    shown = await browser.go("GET", f"{SIGN_IN}?m=out")
    assert notice("en", "sign_in.out") in shown.text
    shown = await browser.go("GET", f"{SIGN_IN}?m=ended")
    assert notice("en", "sign_in.ended") in shown.text


async def test_a_session_expires_after_twelve_hours(
    browser: Browser, runtime: Runtime, clock: FakeClock
) -> None:
    assert timedelta(hours=12) == SESSION_TTL
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    clock.advance(hours=12, seconds=-1)
    assert (await browser.go("GET", "/v1/orders", session=hq)).status == 200
    clock.advance(seconds=1)  # within the cache's two seconds: expiry is checked anyway
    assert (await browser.go("GET", "/v1/orders", session=hq)).status == 401
    page = await browser.go("GET", "/console", session=hq)
    assert page.status == 303 and page.headers["Location"] == f"{SIGN_IN}?m=ended"


async def test_unbinding_a_member_ends_their_session_within_the_cache(
    browser: Browser, runtime: Runtime, clock: FakeClock
) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    await unbind(runtime, HQ_USER)
    clock.advance(seconds=2)
    answer = await browser.go("GET", "/v1/orders", session=hq)
    assert (answer.status, answer.code) == (401, "unauthorized")
    page = await browser.go("GET", "/console", session=hq)
    assert page.status == 303 and page.headers["Location"] == f"{SIGN_IN}?m=ended"


async def test_a_member_moved_to_another_role_keeps_no_session_of_the_old_one(
    browser: Browser, runtime: Runtime, clock: FakeClock
) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    await bind(runtime, HQ_USER, "finance")
    clock.advance(seconds=2)
    assert (await browser.go("GET", "/v1/orders", session=hq)).status == 401
    # Bound as hq again, the session (of role hq, not yet expired) serves again.
    await bind(runtime, HQ_USER, "hq")
    clock.advance(seconds=2)
    assert (await browser.go("GET", "/v1/orders", session=hq)).status == 200


# 3. Pages ----------------------------------------------------------------------------------


def page_paths() -> list[str]:
    return [page.path.replace("{order_id}", "o_x").replace("{dealer_id}", "d1") for page in PAGES]


async def test_every_page_without_a_session_goes_to_sign_in(browser: Browser) -> None:
    for path in page_paths():
        answer = await browser.go("GET", path)
        assert answer.status == 303 and answer.headers["Location"] == SIGN_IN, path
        ended = await browser.go("GET", path, cookies={"baton_session": "gone"})
        assert ended.status == 303 and ended.headers["Location"] == f"{SIGN_IN}?m=ended"


async def test_each_page_is_for_the_roles_with_its_scope(
    browser: Browser, runtime: Runtime
) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    finance = await signed_in(browser, runtime, FINANCE_USER, "finance")
    allowed = {
        "hq": {p.name for p in PAGES} - {"keys"},
        "finance": {"overview", "orders", "order", "money", "audit"},
    }
    for role, session in (("hq", hq), ("finance", finance)):
        for page, path in zip(PAGES, page_paths(), strict=True):
            answer = await browser.go("GET", path, session=session)
            if page.name in allowed[role]:
                assert answer.status == 200, (role, path)
                assert 'id="page-data"' in answer.text
            else:
                assert answer.status == 403, (role, path)
                role_name = text("en", f"role.{role}")
                assert text("en", "refused.body", role=role_name) in answer.text
                assert 'id="page-data"' not in answer.text  # no page, no data
    money = await browser.go("GET", "/console/money", session=finance)
    menu = re.search(r'<nav aria-label="menu">(.*?)</nav>', money.text, re.S)
    assert menu is not None
    assert re.findall(r'href="([^"]+)"', menu.group(1)) == [
        "/console", "/console/orders", "/console/money", "/console/audit"
    ]  # fmt: skip
    data = json.loads(
        money.text.split('<script type="application/json" id="page-data">')[1].split("</script>")[0]
    )
    assert data["page"] == "money" and data["csrf"] == finance.csrf
    assert data["scopes"] == sorted(PRESETS["finance"])


async def test_pages_carry_the_security_headers(browser: Browser, runtime: Runtime) -> None:
    finance = await signed_in(browser, runtime, FINANCE_USER, "finance")
    shown = [
        await browser.go("GET", SIGN_IN),
        await browser.go("GET", "/console/money", session=finance),
        await browser.go("GET", "/console/pricing", session=finance),  # the 403 page too
        await browser.sign_in("nope"),
    ]
    for answer in shown:
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        script_src = policy.split("script-src")[1].split(";")[0]
        assert "default-src 'self'" in policy and "'unsafe-inline'" not in script_src
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Content-Type"].startswith("text/html")
        # No inline script: the only <script> without src is the page's JSON data.
        for tag in re.findall(r"<script[^>]*>", answer.text):
            assert 'src="/console/static/' in tag or 'type="application/json"' in tag, tag


async def test_the_sign_in_page_does_not_spend_the_link(browser: Browser, runtime: Runtime) -> None:
    await bind(runtime, HQ_USER, "hq")
    token = await link(runtime, HQ_USER, "hq")
    for _ in range(2):  # a chat app's preview, then the member
        page = await browser.go("GET", f"{SIGN_IN}?t={token}")
        assert page.status == 200 and f'name="t" value="{token}"' in page.text
        assert text("en", "sign_in.button") in page.text
    assert (await browser.sign_in(token)).status == 303
    empty = await browser.go("GET", SIGN_IN)
    assert 'name="t"' not in empty.text and text("en", "sign_in.how") in empty.text


async def test_a_sign_in_posted_from_another_site_is_refused_and_spends_nothing(
    browser: Browser, runtime: Runtime
) -> None:
    await bind(runtime, HQ_USER, "hq")
    token = await link(runtime, HQ_USER, "hq")
    host = browser.url.split("://", 1)[1]
    for origin in ("https://evil.example", f"http://{host}.evil.example", "null"):
        answer = await browser.sign_in(token, Origin=origin)
        assert answer.status == 400 and "baton_session" not in answer.cookies, origin
        assert notice("en", "sign_in.unknown") in answer.text
    assert await audit(runtime, "console.sign_in") == []  # refused before the link was read
    answer = await browser.sign_in(token, Origin=f"http://{host}")
    assert answer.status == 303 and answer.cookies["baton_session"].value


async def test_the_page_speaks_the_browsers_language_unless_one_was_chosen(
    browser: Browser, runtime: Runtime
) -> None:
    zh = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    page = await browser.go("GET", SIGN_IN, headers=zh)
    assert "登录 Baton 控制台" in page.text and '<html lang="zh-CN">' in page.text
    page = await browser.go("GET", SIGN_IN, headers={"Accept-Language": "fr-FR,en;q=0.5"})
    assert text("en", "sign_in.title").replace("'", "&#39;") in page.text
    page = await browser.go("GET", SIGN_IN, headers=zh, cookies={"baton_lang": "en"})
    assert '<html lang="en">' in page.text and "登录 Baton 控制台" not in page.text
    page = await browser.go("GET", SIGN_IN, cookies={"baton_lang": "zh"})
    assert '<html lang="zh-CN">' in page.text
    page = await browser.go("GET", SIGN_IN, headers=zh, cookies={"baton_lang": "xx"})
    assert '<html lang="zh-CN">' in page.text  # an unknown choice falls back to the browser's

    finance = await signed_in(browser, runtime, FINANCE_USER, "finance")
    refused = await browser.go("GET", "/console/pricing", session=finance, headers=zh)
    assert "您的身份（财务）不能打开此页面。" in refused.text
    money = await browser.go("GET", "/console/money", session=finance, headers=zh)
    assert '"language": "zh"' in money.text and text("zh", "nav.money") in money.text


async def test_the_language_switch_sets_a_cookie_and_goes_back_only_within_the_console(
    browser: Browser,
) -> None:
    answer = await browser.go("GET", "/console/language/zh?next=/console/orders%3Fstatus%3Doffered")
    assert answer.status == 303 and answer.headers["Location"] == "/console/orders?status=offered"
    chosen = answer.cookies["baton_lang"]
    assert chosen.value == "zh" and chosen["path"] == "/" and chosen["httponly"]
    assert chosen["samesite"] == "Lax"
    answer = await browser.go("GET", "/console/language/en")
    assert answer.headers["Location"] == "/console" and answer.cookies["baton_lang"].value == "en"
    for away in ("https://evil.example/console", "//evil.example/console", "/\\evil.example",
                 "javascript:alert(1)", "/v1/keys", "evil.example"):  # fmt: skip
        answer = await browser.go("GET", "/console/language/zh", params={"next": away})
        assert answer.status == 303 and answer.headers["Location"] == "/console", away
    assert (await browser.go("GET", "/console/language/fr")).status == 404


async def test_assets_are_served_gzipped_when_asked(browser: Browser) -> None:
    for name, package, path, kind in (
        ("console.js", "baton.console", "static/console.js", "text/javascript"),
        ("console.css", "baton.console", "static/console.css", "text/css"),
        ("plotly.min.js", "plotly", "package_data/plotly.min.js", "text/javascript"),
    ):
        on_disk = resources.files(package).joinpath(path).read_bytes()
        plain = await browser.go(
            "GET", f"/console/static/{name}", headers={"Accept-Encoding": "identity"}
        )
        assert plain.status == 200 and plain.body == on_disk
        assert "Content-Encoding" not in plain.headers
        assert plain.headers["Content-Type"] == f"{kind}; charset=utf-8"
        assert plain.headers["X-Content-Type-Options"] == "nosniff"
        assert plain.headers["Vary"] == "Accept-Encoding"
        packed = await browser.go(
            "GET", f"/console/static/{name}", headers={"Accept-Encoding": "gzip, deflate"}
        )
        assert packed.status == 200 and packed.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.body) == on_disk and len(packed.body) < len(on_disk)
    for name in ("nope.js", "pages.py", "..%2Fpages.py", "sign_in.html"):
        assert (await browser.go("GET", f"/console/static/{name}")).status == 404, name


async def test_a_path_argument_cannot_end_the_pages_data_block(
    browser: Browser, runtime: Runtime
) -> None:
    hq = await signed_in(browser, runtime, HQ_USER, "hq")
    answer = await browser.go(
        "GET", "/console/orders/%3C%2Fscript%3E%3Cmeta%20http-equiv%3Drefresh%3E", session=hq
    )
    assert answer.status == 200
    assert "<meta http-equiv=refresh>" not in answer.text
    data = answer.text.split('id="page-data">')[1].split("</script>")[0]
    assert json.loads(data)["args"] == {"order_id": "</script><meta http-equiv=refresh>"}
