"""The console's routes: sign-in and sign-out, the language switch, the pages, their assets.

Every page is one template and one entry of ``PAGES`` (its path, the scope it needs, its
place in the menu). A page renders only its frame, in the member's language; its figures
come from ``/v1`` routes, which ``static/console.js`` calls with the session's cookie and
CSRF token, so the console can do nothing a key with the member's scopes could not.
"""

from __future__ import annotations

import gzip
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from services.access.public import SESSION_TTL, Sessions, SignedIn, end_session, redeem_link
from shared.db.uow import unit_of_work
from shared.http.access import SESSION_COOKIE, same_token
from shared.http.context import RUNTIME

from .texts import LANGUAGES, STATUSES, TEXTS, pick_language, text

log = logging.getLogger(__name__)

SESSIONS: web.AppKey[Sessions] = web.AppKey("console_sessions", Sessions)
# (who, route class) -> 0 if the request may go now, else the seconds until it may.
Throttle = Callable[[str, str], Awaitable[float]]
THROTTLE: web.AppKey[Throttle] = web.AppKey("console_throttle")
LANGUAGE_COOKIE = "baton_lang"
HERE = Path(__file__).parent
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
TEMPLATES.globals["STATUSES"] = STATUSES
# No page loads anything from elsewhere, runs inline script, or may be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # a sign-in link's token never leaves in a Referer
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Page:
    """A page of the console: its template, the scope it needs, and whether it is in the menu."""

    name: str
    path: str
    scope: str
    menu: bool = True


# The pages, in the menu's order.
PAGES = (
    Page("overview", "/console", "stats:read"),
    Page("orders", "/console/orders", "orders:read"),
    Page("order", "/console/orders/{order_id}", "orders:read", menu=False),
    Page("dealers", "/console/dealers", "catalog:read"),
    Page("dealer", "/console/dealers/{dealer_id}", "catalog:read", menu=False),
    Page("map", "/console/map", "catalog:read"),
    Page("stock", "/console/stock", "stock:read"),
    Page("money", "/console/money", "finance:read"),
    Page("pricing", "/console/pricing", "pricing:write"),
    Page("broadcasts", "/console/broadcasts", "broadcasts:write"),
    Page("audit", "/console/audit", "audit:read"),
    Page("keys", "/console/keys", "admin"),
)


def language_of(request: web.Request) -> str:
    """The language this request is answered in."""
    return pick_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("Accept-Language", "")
    )


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """A page of the console in the request's language, with the security headers."""
    language = values.pop("language", None) or language_of(request)

    def say(key: str, **more: object) -> str:
        return text(language, key, **more)

    html = TEMPLATES.get_template(template).render(
        t=say, language=language, other=_other(language), request_path=request.path_qs, **values
    )
    return web.Response(
        text=html, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )


def see_other(location: str) -> web.Response:
    """A 303 to ``location`` (a redirect after a form, or to sign in)."""
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


def _other(language: str) -> str:
    return next(code for code in LANGUAGES if code != language)


async def signed_in(request: web.Request) -> SignedIn | None:
    """The member signed in on this browser, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return await request.app[SESSIONS](cookie) if cookie else None


def _refused(request: web.Request, who: str, why: str) -> None:
    log.warning("refused %s %s for %s: %s", request.method, request.path, who, why)
    request.app[RUNTIME].metrics.count_refusal(who, why)


def _same_site(request: web.Request) -> bool:
    """False for a form posted from another site (its Origin names another host)."""
    origin = request.headers.get("Origin")
    return origin is None or origin.split("://", 1)[-1] == request.host


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """The sign-in page: how to get a link, or (with one) the button that spends it."""
    notice = {"out": "sign_in.out", "ended": "sign_in.ended"}.get(request.query.get("m", ""))
    return render(request, "sign_in.html", token=request.query.get("t", ""), notice=notice)


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Spend a sign-in link: a session cookie and the overview, or the page saying why not."""
    form = await request.post()
    token = str(form.get("t", ""))
    if not _same_site(request) or not token or len(token) > 128:
        _refused(request, "console", "sign_in.bad_form")
        return render(request, "sign_in.html", status=400, token="", notice="sign_in.unknown")
    wait = await request.app[THROTTLE](f"ip:{request.remote}", "sign_in")
    if wait > 0:  # guessing links, or filling the audit log with refusals
        _refused(request, f"ip:{request.remote}", "sign_in.too_many")
        page = render(request, "sign_in.html", status=429, token=token, notice="sign_in.wait")
        page.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return page
    runtime = request.app[RUNTIME]
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        opened = await redeem_link(uow, token)
    if isinstance(opened, str):
        _refused(request, "console", f"sign_in.{opened}")
        return render(request, "sign_in.html", status=400, token="", notice=f"sign_in.{opened}")
    response = see_other("/console")
    response.set_cookie(
        SESSION_COOKIE, opened.secret, max_age=int(SESSION_TTL.total_seconds()), path="/",
        httponly=True, samesite="Strict", secure=_secure(request),
    )  # fmt: skip
    return response


def _secure(request: web.Request) -> bool:
    public = request.app[RUNTIME].settings.public_url or ""
    return request.secure or public.startswith("https://")


async def sign_out(request: web.Request) -> web.StreamResponse:
    """End this browser's session (the form carries its CSRF token) and forget the cookie."""
    form = await request.post()
    cookie = request.cookies.get(SESSION_COOKIE, "")
    member = await signed_in(request)
    if member is None:  # already over: nothing to end, only a cookie to forget
        response = see_other("/console/sign-in?m=ended")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response
    if not same_token(str(form.get("csrf", "")), member.csrf):
        _refused(request, member.caller.key_id, "csrf")
        return render(request, "refused.html", status=403, language=language_of(request),
                      role=text(language_of(request), f"role.{member.role}"))  # fmt: skip
    runtime = request.app[RUNTIME]
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        await end_session(uow, cookie)
    request.app[SESSIONS].forget(cookie)
    response = see_other("/console/sign-in?m=out")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def switch_language(request: web.Request) -> web.StreamResponse:
    """Remember the language chosen with the switch, and go back to the page."""
    language = request.match_info["language"]
    if language not in LANGUAGES:
        raise web.HTTPNotFound()
    back = request.query.get("next", "/console")
    if not back.startswith("/console") or back.startswith("//"):
        back = "/console"
    response = see_other(back)
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/", samesite="Lax",
        httponly=True, secure=_secure(request),
    )  # fmt: skip
    return response


def page_handler(page: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler of one page: signed in, allowed, then its frame."""

    async def show(request: web.Request) -> web.StreamResponse:
        member = await signed_in(request)
        if member is None:
            ended = SESSION_COOKIE in request.cookies
            return see_other("/console/sign-in" + ("?m=ended" if ended else ""))
        language = language_of(request)
        menu = [p for p in PAGES if p.menu and member.caller.allows(p.scope)]
        role = text(language, f"role.{member.role}")
        common: dict[str, Any] = {
            "member": member,
            "role": role,
            "menu": menu,
            "page": page,
            "language": language,
        }
        if not member.caller.allows(page.scope):
            _refused(request, member.caller.key_id, f"console.{page.name}")
            return render(request, "refused.html", status=403, **common)
        data = {
            "page": page.name, "csrf": member.csrf, "language": language,
            "texts": TEXTS[language], "scopes": sorted(member.caller.scopes),
            "hq_timezone": request.app[RUNTIME].settings.hq_timezone,
            "args": dict(request.match_info),
        }  # fmt: skip
        return render(request, f"{page.name}.html", data=data, **common)

    return show


# Assets: the console's own files, and Plotly's bundle from the installed plotly package.
ASSETS: dict[str, tuple[str, str]] = {
    "console.js": ("baton.console", "static/console.js"),
    "console.css": ("baton.console", "static/console.css"),
    "plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}
_TYPES = {".js": "text/javascript", ".css": "text/css"}
_ASSET_CACHE: dict[str, tuple[bytes, bytes]] = {}


def _asset(name: str) -> tuple[bytes, bytes]:
    """An asset's bytes and their gzip, read once per process."""
    if name not in _ASSET_CACHE:
        package, path = ASSETS[name]
        body = resources.files(package).joinpath(path).read_bytes()
        _ASSET_CACHE[name] = (body, gzip.compress(body, 6))
    return _ASSET_CACHE[name]


async def asset(request: web.Request) -> web.StreamResponse:
    """A script or style sheet, gzipped when the browser takes it."""
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    plain, packed = _asset(name)
    headers = {
        "Content-Type": _TYPES[Path(name).suffix] + "; charset=utf-8",
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return web.Response(body=packed, headers=headers | {"Content-Encoding": "gzip"})
    return web.Response(body=plain, headers=headers)


def attach(app: web.Application, sessions: Sessions, throttle: Throttle) -> None:
    """Serve the console on ``app`` under ``/console``; ``throttle`` keeps sign-ins to
    their rate per client address."""
    app[SESSIONS] = sessions
    app[THROTTLE] = throttle
    router = app.router
    router.add_get("/console/sign-in", sign_in_page)
    router.add_post("/console/sign-in", sign_in)
    router.add_post("/console/sign-out", sign_out)
    router.add_get("/console/language/{language}", switch_language)
    router.add_get("/console/static/{name}", asset)
    for page in PAGES:
        router.add_get(page.path, page_handler(page))
