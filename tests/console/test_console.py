"""HQ's console in a real browser: sign-in from chat, the demo order, forms, CSV, refusals.

Every test drives headless Chromium against ``baton up --demo`` (``conftest.py``) and saves
a screenshot of each page it shows (for ``docs/console.md``: run with
``BATON_CONSOLE_SCREENSHOTS=docs/console``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.bus.support import eventually
from tests.console.conftest import Demo

# One demo and one browser for the module: kept on one xdist worker (dev.py: --dist loadgroup).
pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.xdist_group("console")]
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
HQ_ZONE = ZoneInfo("Asia/Shanghai")


async def signed_in(browser: Any, demo: Demo, username: str = "hq_ops", **options: Any) -> Any:
    """A fresh browser (no cookies) signed in with the link the bot sent ``username``."""
    context = await browser.new_context(
        viewport=options.pop("viewport", LAPTOP), locale="en-US", **options
    )
    page = await context.new_page()
    await page.goto(await demo.link(username))
    await page.click("[data-test=sign-in]")
    await page.wait_for_url(demo.api + "/console")
    return page


async def shoot(page: Any, demo: Demo, name: str) -> None:
    """A screenshot of the page as it is now, once its requests are answered."""
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(demo.shots / f"{name}.png"), full_page=True)


async def expect_text(locator: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(locator).to_contain_text(text, timeout=15000)


async def test_hq_signs_in_from_chat_and_sees_why_the_demo_order_went_where(
    demo: Demo, browser: Any
) -> None:
    page = await signed_in(browser, demo)
    short = demo.order_id[:14]
    await expect_text(page.locator("[data-table=recent]"), short)
    await expect_text(page.locator("[data-tile=today_orders]"), "1")
    await shoot(page, demo, "overview")

    await page.click("nav >> text=Orders")
    await expect_text(page.locator("[data-table=orders]"), short)
    await shoot(page, demo, "orders")

    await page.click(f"[data-table=orders] a[href='/console/orders/{demo.order_id}']")
    attempt = page.locator("[data-test=routing-attempt]").first
    # Ranked: the Tianfu store first (nearest, with stock); excluded: HQ's warehouse, which
    # does no pickups, named with its rule and reason.
    await expect_text(attempt.locator("table").first, "cd-tianfu")
    await expect_text(attempt, "missing_capability:pickup")
    await expect_text(page.locator("[data-timeline]"), "offered")
    await shoot(page, demo, "order")
    await page.context.close()


async def test_orders_filter_and_download_as_csv(demo: Demo, browser: Any) -> None:
    page = await signed_in(browser, demo)
    await page.goto(demo.api + "/console/orders")
    await page.select_option("[data-filters] [name=status]", "offered")
    await page.click("[data-filters] button[type=submit]")
    await expect_text(page.locator("[data-table=orders]"), demo.order_id[:14])
    async with page.expect_download() as started:
        await page.click("[data-csv]")
    download = await started.value
    csv = Path(await download.path()).read_text(encoding="utf-8-sig")
    header, *rows = csv.splitlines()
    assert header.startswith("id,external_id,channel,status")
    assert any(row.startswith(demo.order_id + ",") for row in rows)
    assert "status=offered" in download.url and "format=csv" in download.url

    await page.fill("[data-filters] [name=q]", "no-such-order")
    await page.click("[data-filters] button[type=submit]")
    await expect_text(page.locator("[data-table=orders]"), "Nothing here yet.")
    await page.context.close()


def hq_input(moment: datetime) -> str:
    """A time as a datetime-local field takes it, in HQ's time zone."""
    return moment.astimezone(HQ_ZONE).strftime("%Y-%m-%dT%H:%M")


async def test_a_promotion_is_previewed_then_created_and_bad_input_changes_nothing(
    demo: Demo, browser: Any
) -> None:
    page = await signed_in(browser, demo)
    await page.goto(demo.api + "/console/pricing")
    form = page.locator("[data-form=promotion]")
    tomorrow = datetime.now(HQ_ZONE) + timedelta(days=1)
    await form.locator("[name=name]").fill("Console: phone weekend")
    await form.locator("[name=starts_at]").fill(hq_input(tomorrow))
    await form.locator("[name=ends_at]").fill(hq_input(tomorrow + timedelta(days=2)))
    await form.locator("[name=skus]").fill("PX-1")
    await form.locator("[name=regions]").fill("sichuan")
    await form.locator("[name=percent_off]").fill("half")
    await form.locator("[data-action=preview]").click()
    await expect_text(form.locator("[data-error-for=percent_off]"), "percent")
    assert await form.locator("[type=submit]").is_disabled()
    _, before = await demo.call("GET", "/v1/promotions")

    await form.locator("[name=percent_off]").fill("5")
    await form.locator("[data-action=preview]").click()
    await expect_text(form.locator("[data-preview]"), "dealer chats will be told")
    await shoot(page, demo, "pricing")
    await form.locator("[type=submit]").click()
    await expect_text(form.locator("[data-preview]"), "Done.")
    await expect_text(page.locator("[data-table=promotions]"), "Console: phone weekend")

    _, after = await demo.call("GET", "/v1/promotions")
    names = [p["name"] for p in after["promotions"]]
    assert names.count("Console: phone weekend") == 1
    assert len(after["promotions"]) == len(before["promotions"]) + 1
    _, audit = await demo.call("GET", "/v1/audit?action=promotion.create")
    [made] = [e for e in audit["entries"] if e["detail"]["name"] == "Console: phone weekend"]
    assert made["actor"].startswith("tg:")  # audited as the HQ member, not as a key
    await page.context.close()


async def test_a_broadcast_is_sent_and_its_counts_show(demo: Demo, browser: Any) -> None:
    page = await signed_in(browser, demo)
    await page.goto(demo.api + "/console/broadcasts")
    form = page.locator("[data-form=broadcast]")
    await form.locator("[name=text]").fill("Stock count on Friday, please.")
    await form.locator("[name=requires_ack]").check()
    await form.locator("[data-action=preview]").click()
    await expect_text(form.locator("[data-preview]"), "dealer chats will be told")
    await form.locator("[type=submit]").click()
    await expect_text(form.locator("[data-preview]"), "Done.")

    async def delivered() -> bool:
        _, found = await demo.call("GET", "/v1/broadcasts?kind=notice")
        mine = [b for b in found["broadcasts"] if b["params"].get("text", "").startswith("Stock")]
        return bool(mine) and mine[0]["sent"] >= 1

    await eventually(delivered, timeout=30)
    await page.reload()
    row = page.locator("[data-table=broadcasts] tr", has_text="Stock count on Friday")
    await expect_text(row, "notice")
    await row.locator("[data-test=unacked]").click()
    await expect_text(page.locator("[data-table=recipients]"), "cd-")
    await shoot(page, demo, "broadcasts")
    await page.context.close()


async def test_language_switch_and_sign_out(demo: Demo, browser: Any) -> None:
    page = await signed_in(browser, demo)
    await page.click("[data-test=language]")
    await expect_text(page.locator("nav"), "总览")
    await expect_text(page.locator("h1"), "总览")
    await shoot(page, demo, "overview-zh")
    await page.click("[data-test=language]")
    await expect_text(page.locator("nav"), "Overview")

    await page.click("[data-test=sign-out]")
    await expect_text(page.locator("[data-test=notice]"), "You have signed out.")
    await page.goto(demo.api + "/console/orders")
    assert "/console/sign-in" in page.url
    status = await page.evaluate("fetch('/v1/orders').then((r) => r.status)")
    assert status == 401
    await page.context.close()


async def test_a_forged_or_reused_link_is_refused_and_audited(demo: Demo, browser: Any) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(demo.api + "/console/sign-in?t=forged-link-0123456789")
    await page.click("[data-test=sign-in]")
    await expect_text(page.locator("[data-test=notice]"), "not known")

    link = await demo.link("hq_ops")
    first = await context.new_page()
    await first.goto(link)
    await first.click("[data-test=sign-in]")
    await first.wait_for_url(demo.api + "/console")
    again = await (await browser.new_context(locale="en-US")).new_page()
    await again.goto(link)
    await again.click("[data-test=sign-in]")
    await expect_text(again.locator("[data-test=notice]"), "used already")
    await shoot(again, demo, "sign-in-refused")

    _, audit = await demo.call("GET", "/v1/audit?action=console.sign_in")
    refused = [e["detail"]["why"] for e in audit["entries"] if not e["allowed"]]
    assert "unknown" in refused and "used" in refused
    await context.close()
    await again.context.close()


async def test_finance_sees_money_but_not_the_rules(demo: Demo, browser: Any) -> None:
    page = await signed_in(browser, demo, "hq_finance")
    menu = await page.locator("nav").inner_text()
    assert "Money" in menu and "Prices" not in menu and "Broadcasts" not in menu
    await page.goto(demo.api + "/console/money")
    await expect_text(page.locator("h1"), "Money")
    await page.wait_for_load_state("networkidle")
    await shoot(page, demo, "money")
    response = await page.goto(demo.api + "/console/pricing")
    assert response is not None and response.status == 403
    await expect_text(page.locator("[data-test=refused]"), "cannot open this page")
    # The API says the same to the session: a finance member sets no price floors.
    status = await page.evaluate(
        """fetch('/v1/price-rules/PX-1', {method: 'PUT', headers: {'Content-Type':
           'application/json', 'X-CSRF-Token': JSON.parse(document.getElementById(
           'page-data')?.textContent || '{"csrf": ""}').csrf}, body: '{"floor": "1.00"}'})
           .then((r) => r.status)"""
    )
    assert status in (401, 403)
    await page.context.close()


async def test_a_change_without_the_csrf_token_is_refused(demo: Demo, browser: Any) -> None:
    page = await signed_in(browser, demo)
    body = json.dumps({"text": "forged"})
    answer = await page.evaluate(
        f"""fetch('/v1/broadcasts', {{method: 'POST', headers: {{'Content-Type':
            'application/json'}}, body: {json.dumps(body)}}}).then(async (r) =>
            [r.status, (await r.json()).error.code])"""
    )
    assert answer == [403, "csrf"]
    await page.context.close()


async def test_every_page_works_at_a_phone_width(demo: Demo, browser: Any) -> None:
    page = await signed_in(browser, demo, viewport=PHONE, is_mobile=True, has_touch=True)
    for name in ("overview", "orders", "dealers", "map", "stock", "audit"):
        path = "/console" if name == "overview" else f"/console/{name}"
        await page.goto(demo.api + path)
        await page.wait_for_load_state("networkidle")
        errors = await page.locator(".error").all_inner_texts()
        assert not errors, (name, errors)
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"] + 1, (name, wide)  # tables scroll inside their card
        if name == "overview":
            await shoot(page, demo, "overview-phone")
    await page.context.close()


async def test_the_other_pages_render_for_the_docs(demo: Demo, browser: Any) -> None:
    page = await signed_in(browser, demo)
    for name in ("dealers", "map", "stock", "audit"):
        await page.goto(f"{demo.api}/console/{name}")
        await page.wait_for_load_state("networkidle")
        assert not await page.locator(".error").all_inner_texts(), name
        await shoot(page, demo, name)
    await page.goto(f"{demo.api}/console/dealers/cd-tianfu")
    await expect_text(page.locator("[data-table=stock]"), "PX-1")
    await shoot(page, demo, "dealer")
    await page.context.close()


async def test_an_admin_from_the_host_sees_the_api_keys(demo: Demo, browser: Any) -> None:
    context = await browser.new_context(viewport=LAPTOP, locale="en-US")
    page = await context.new_page()
    await page.goto(await demo.admin_link())
    await page.click("[data-test=sign-in]")
    await page.wait_for_url(demo.api + "/console")
    await page.click("nav >> text=API keys")
    await expect_text(page.locator("[data-table=keys]"), "demo-mall-shop")
    assert "bk_" not in await page.content()  # never a secret
    await shoot(page, demo, "keys")
    _, audit = await demo.call("GET", "/v1/audit?action=console.sign_in")
    assert any(e["actor"] == "cli" and e["allowed"] for e in audit["entries"])
    await context.close()
