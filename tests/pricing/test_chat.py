"""HQ's rules in chat through the real bot: /price and /promo previews, Apply, Cancel, /prices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bots.dealer.models import RuleDraft
from services.pricing.models import PriceRule, Promotion
from shared.audit import entries
from tests.dealer.conftest import Chats


class Team:
    """Two Sichuan stores (an English owner, a Chinese owner), a Yunnan owner, and HQ."""

    def __init__(self, chats: Chats) -> None:
        self.chats = chats

    async def build(self) -> Team:
        chats = self.chats
        await chats.network(far=True)  # near and other in Sichuan, far in Yunnan
        self.near_owner = await chats.bound("near", "owner")
        self.other_owner = await chats.bound("other", "owner", "zh")
        self.far_owner = await chats.bound("far", "owner")
        self.hq = await chats.bound("hq", "hq")
        return self

    async def said(self, user: int, text: str, expect: str) -> dict[str, Any]:
        """Say ``text`` and wait for the bot's answer containing ``expect``."""
        before = await self.chats.last_id(user)
        await self.chats.say(user, text)
        return await self.chats.expect(user, expect, after=before)

    async def press(self, user: int, message: dict[str, Any], label: str, **kw: Any) -> str:
        data = self.chats.button(message, label)
        answer = await self.chats.emu.press(user, message["message_id"], data=data, **kw)
        return str(answer.text)


async def _rows(chats: Chats, model: Any) -> list[Any]:
    async with chats.runtime.db.read() as session:
        return list((await session.exec(select(model))).all())


async def test_only_hq_may_change_rules_and_refusals_are_audited(chats: Chats) -> None:
    team = await Team(chats).build()
    await team.said(team.near_owner, "/price PX-1 1.00", "Only HQ can change price floors.")
    await team.said(team.other_owner, "/promo 清仓; 折扣 90%", "只有总部可以创建促销。")
    stranger = await chats.user("stranger")
    await team.said(stranger, "/price PX-1 1.00", "not linked to a store")
    async with chats.runtime.db.read() as session:
        refused = [e for e in await entries(session) if not e.allowed]
    assert {(e.actor, e.action, e.role) for e in refused} == {
        (f"tg:{team.near_owner}", "price_rule.set", "owner"),
        (f"tg:{team.other_owner}", "promotion.create", "owner"),
        (f"tg:{stranger}", "price_rule.set", None),
    }
    [attempt] = [e for e in refused if e.role == "owner" and e.action == "price_rule.set"]
    assert attempt.detail["text"] == "PX-1 1.00"
    assert await _rows(chats, PriceRule) == [] and await _rows(chats, Promotion) == []
    assert await _rows(chats, RuleDraft) == []


async def test_price_previews_then_cancel_changes_nothing_and_apply_sets_and_announces(
    chats: Chats,
) -> None:
    team = await Team(chats).build()
    await team.said(team.hq, "/price", "Type /price SKU AMOUNT")
    await team.said(team.hq, "/price NOPE 10", "NOPE is not in the catalog")
    await team.said(team.hq, "/price PX-1 12.345", "12.345 is not an amount in CNY")

    preview = await team.said(team.hq, "/price PX-1 1899.00", "Preview: the price floor")
    assert "Phone X (PX-1) goes from 1799.00 to 1899.00 CNY" in preview["text"]
    assert "3 dealer chats will be told" in preview["text"]  # every store's chat, not HQ
    assert await team.press(team.hq, preview, "Cancel") == "Cancelled: nothing was changed."
    edited = await chats.expect(team.hq, "Cancelled: nothing was changed.")
    assert edited["message_id"] == preview["message_id"] and not edited.get("reply_markup")
    late = await team.press(team.hq, preview, "Apply", forge=True)
    assert late == "This change was already applied or cancelled."
    assert await _rows(chats, PriceRule) == []

    preview = await team.said(team.hq, "/price ＰＸ－１ ¥1899", "Preview: the price floor")
    answer = await team.press(team.hq, preview, "Apply")
    assert answer == "Applied: PX-1 may not be sold below 1899.00 CNY. Dealers are being told."
    [rule] = await _rows(chats, PriceRule)
    assert (rule.scope, rule.key, rule.floor, rule.created_by) == (
        "sku", "PX-1", 189900, f"tg:{team.hq}",
    )  # fmt: skip
    notice = await chats.expect(team.near_owner, "New price floor from HQ: Phone X (PX-1)")
    assert "1899.00 CNY" in notice["text"] and chats.button(notice, "Acknowledge")
    await chats.expect(team.other_owner, "总部新价格底线：Phone X（PX-1）")
    await chats.expect(team.far_owner, "New price floor from HQ")
    again = await team.press(team.hq, preview, "Apply", forge=True)
    assert again == "This change was already applied or cancelled."
    assert len(await _rows(chats, PriceRule)) == 1

    async with chats.runtime.db.read() as session:
        [applied] = await entries(session, action="price_rule.set")
        [cancelled] = await entries(session, action="price_rule.cancel")
    assert (applied.actor, applied.role, applied.target, applied.allowed) == (
        f"tg:{team.hq}", "hq", "sku:PX-1", True,
    )  # fmt: skip
    assert cancelled.actor == f"tg:{team.hq}"
    status, answer = await chats.api.call("POST", "/v1/orders", _order("CH-1", "1899.00"))
    assert status == 201, answer
    status, _ = await chats.api.call("POST", "/v1/orders", _order("CH-2", "1898.99"))
    assert status == 422


def _order(external_id: str, unit_price: str) -> dict[str, Any]:
    from tests.orders.conftest import order

    body = order(external_id)
    body["lines"][0]["unit_price"] = unit_price
    return body


async def test_promo_previews_with_its_audience_and_creates_on_apply(chats: Chats) -> None:
    team = await Team(chats).build()
    usage = await team.said(team.hq, "/promo", "Type the promotion after /promo")
    assert "funded hq" in usage["text"]
    await team.said(team.hq, "/promo X; colour red", "I do not know the field colour")
    missing = await team.said(team.hq, "/promo X; off 10%; skus PX-1", "Write the end like")
    assert "Say who funds it" in missing["text"]
    await team.said(team.hq, "/promo X; off 10%; skus NOPE; to 2026-01-05; funded hq",
                    "NOPE is not in the catalog.")  # fmt: skip

    text = ("/promo Spring sale\noff 15%\nskus PX-1\nregions Sichuan\nfrom 2026-01-01 10:00\n"
            "to 2026-01-08 10:00\nfunded dealer\ncap 10")  # fmt: skip
    preview = await team.said(team.hq, text, "Preview:")
    for part in ("🎉 Spring sale: 15% off PX-1", "From 2026-01-01 10:00 to 2026-01-08 10:00",
                 "(China Standard Time)", "Regions: Sichuan", "Funded by: the dealer",
                 "Cap: 10", "Stacks with other promotions: no",
                 "2 dealer chats will be told"):  # fmt: skip
        assert part in preview["text"], (part, preview["text"])
    answer = await team.press(team.hq, preview, "Create")
    assert answer.startswith("Created promotion pr_")
    [promotion] = await _rows(chats, Promotion)
    assert (promotion.percent_off, promotion.regions, promotion.unit_cap) == (1500, ["Sichuan"], 10)
    assert promotion.starts_at == promotion.created_at + timedelta(hours=2)  # 10:00 at UTC+8
    await chats.expect(team.near_owner, "Promotion from HQ: Spring sale, 15% off")
    await chats.expect(team.other_owner, "总部促销：Spring sale，优惠 15%")
    async with chats.runtime.db.read() as session:
        [created] = await entries(session, action="promotion.create")
    assert (created.actor, created.target) == (f"tg:{team.hq}", promotion.id)

    zh_hq = await chats.bound("hq", "hq", "zh")
    typed = "/promo 春季直降；折扣 ¥20；商品 PX-1；结束 2026-01-03；承担 总部；叠加"
    preview = await team.said(zh_hq, typed, "预览：")
    assert "春季直降：PX-1 优惠 ¥20.00" in preview["text"] and "全部地区" in preview["text"]
    assert "3 个经销商聊天" in preview["text"]
    assert await team.press(zh_hq, preview, "取消") == "已取消，未创建任何促销。"
    assert len(await _rows(chats, Promotion)) == 1
    far = [m.get("text") or "" for m in await chats.emu.messages(team.far_owner)]
    assert not [t for t in far if "Spring sale" in t]  # another region


async def test_prices_shows_a_dealer_the_floors_and_their_regions_promotions(
    chats: Chats,
) -> None:
    team = await Team(chats).build()
    later = (chats.runtime.clock.now() + timedelta(days=2)).isoformat()
    status, _ = await chats.api.call(
        "PUT", "/v1/price-rules/PX-1", {"floor": "1899.00", "effective_at": later}
    )
    assert status == 201
    day = {"starts_at": "2026-01-01T08:00", "ends_at": "2026-01-02T08:00", "skus": ["PX-1"],
           "funded_by": "hq"}  # fmt: skip
    for body in (
        day | {"name": "Sichuan days", "percent_off": "10", "regions": ["sichuan"]},
        day | {"name": "Yunnan days", "percent_off": "20", "regions": ["yunnan"], "unit_cap": 5},
        day | {"name": "Later", "percent_off": "5", "starts_at": "2026-01-05T00:00",
               "ends_at": "2026-01-06T00:00", "categories": ["phones"], "skus": []},
    ):  # fmt: skip
        assert (await chats.api.call("POST", "/v1/promotions", body))[0] == 201

    shown = await team.said(team.near_owner, "/prices", "Price floors in force")
    text = shown["text"]
    assert "PX-1 Phone X: 1799.00 CNY" in text
    assert "from 2026-01-03 08:00: 1899.00 CNY" in text  # the next version, in HQ time
    assert "Promotions for Sichuan (China Standard Time):" in text
    assert "🎉 Sichuan days: 10% off PX-1, until 2026-01-02 08:00" in text
    assert "🕒 Later: 5% off category phones, from 2026-01-05 00:00 to 2026-01-06 00:00" in text
    assert "Yunnan" not in text

    shown = await team.said(team.other_owner, "/prices", "当前价格底线")
    assert "PX-1 Phone X：1799.00 CNY" in shown["text"]
    assert "四川的促销（北京时间）：" in shown["text"]
    assert "🎉 Sichuan days：PX-1 优惠 10%，至 2026-01-02 08:00" in shown["text"]

    shown = await team.said(team.far_owner, "/prices", "Promotions for Yunnan")
    assert "Yunnan days: 20% off PX-1, until 2026-01-02 08:00 (5 units left)" in shown["text"]
    assert "Sichuan days" not in shown["text"]
    shown = await team.said(team.hq, "/prices", "Promotions for every region")
    assert "Sichuan days" in shown["text"] and "Yunnan days" in shown["text"]

    help_text = await team.said(team.hq, "/help", "What you can do")
    assert "/price SKU AMOUNT" in help_text["text"] and "/promo" in help_text["text"]
    help_text = await team.said(team.near_owner, "/help", "What you can do")
    assert "/prices" in help_text["text"] and "/promo" not in help_text["text"]


async def test_promotion_regions_match_in_either_language_and_show_in_the_readers(
    chats: Chats,
) -> None:
    team = await Team(chats).build()  # near and other: "sichuan"; far: "yunnan"
    zh_hq = await chats.bound("hq", "hq", "zh")
    typed = "/promo 川渝周；折扣 10%；商品 PX-1；地区 四川；结束 2026-01-05；承担 总部"
    preview = await team.said(zh_hq, typed, "预览：")
    assert "地区：四川" in preview["text"] and "将通知 2 个经销商聊天" in preview["text"]
    await team.press(zh_hq, preview, "创建")
    await chats.expect(team.other_owner, "总部促销：川渝周")
    shown = await team.said(team.other_owner, "/prices", "当前价格底线")
    assert "四川的促销（北京时间）：" in shown["text"] and "川渝周" in shown["text"]
    shown = await team.said(team.near_owner, "/prices", "Price floors in force")
    assert "Promotions for Sichuan" in shown["text"] and "川渝周" in shown["text"]
    shown = await team.said(team.far_owner, "/prices", "Price floors in force")
    assert "川渝周" not in shown["text"]


async def test_a_preview_is_refused_once_the_rule_changed_and_a_risky_floor_says_so(
    chats: Chats,
) -> None:
    team = await Team(chats).build()
    zero = await team.said(team.hq, "/price PX-1 0", "Preview: the price floor")
    assert (
        "⚠️ A floor of 0.00 CNY removes the floor: Phone X could then be sold at any price"
        in (zero["text"])
    )
    assert chats.button(zero, "Yes, set it to 0.00 CNY")
    assert "✅ Apply" not in str(zero["reply_markup"])  # no plain Apply for a risky floor
    above = await team.said(team.hq, "/price PX-1 2500", "Preview: the price floor")
    assert "above the list price of Phone X (1999.00 CNY)" in above["text"]

    newer = await team.said(team.hq, "/price PX-1 1899.00", "Preview: the price floor")
    assert await team.press(team.hq, newer, "Apply") == (
        "Applied: PX-1 may not be sold below 1899.00 CNY. Dealers are being told."
    )
    stale = await team.press(team.hq, zero, "Yes, set it to 0.00 CNY")
    assert stale == (
        "The floor of PX-1 changed since this preview (it is 1899.00 CNY now), so nothing was "
        "applied. Type /price again to start from there."
    )
    await chats.expect(team.hq, "changed since this preview")  # the old preview, edited
    again = await team.press(team.hq, zero, "Yes, set it to 0.00 CNY", forge=True)
    assert again == "This change was already applied or cancelled."  # single-use
    assert [r.floor for r in await _rows(chats, PriceRule)] == [189900]
    await chats.expect(team.near_owner, "New price floor from HQ")
    told = [
        m for m in await chats.emu.messages(team.near_owner) if "price floor" in (m["text"] or "")
    ]
    assert len(told) == 1

    first = await team.said(
        team.hq, "/promo First; off 10%; skus PX-1; to 2026-01-05; funded hq", "Preview:"
    )
    second = await team.said(
        team.hq, "/promo Second; off 5%; categories phones; to 2026-01-05; funded hq", "Preview:"
    )
    assert (await team.press(team.hq, second, "Create")).startswith("Created promotion pr_")
    assert await team.press(team.hq, first, "Create") == (
        "The promotions on these products changed since this preview, so nothing was created. "
        "Type /promo again to see them."
    )
    assert [p.name for p in await _rows(chats, Promotion)] == ["Second"]
    zh_hq = await chats.bound("hq", "hq", "zh")
    zero = await team.said(zh_hq, "/price PX-1 0", "预览：")
    assert "等于取消底线" in zero["text"] and chats.button(zero, "确认设为 0.00 CNY")


async def test_a_promotion_ended_early_is_announced_in_each_readers_language(
    chats: Chats,
) -> None:
    team = await Team(chats).build()
    body = {
        "name": "春季特惠", "starts_at": "2026-01-01T08:00", "ends_at": "2026-01-08T08:00",
        "skus": ["PX-1"], "percent_off": "10", "funded_by": "hq", "regions": ["四川"],
    }  # fmt: skip
    status, promotion = await chats.api.call("POST", "/v1/promotions", body)
    assert status == 201, promotion
    status, _ = await chats.api.call("POST", f"/v1/promotions/{promotion['id']}/end")
    assert status == 200
    ended = await chats.expect(team.other_owner, "总部已提前结束促销 春季特惠")
    assert "HQ" not in ended["text"] and "early" not in ended["text"]
    ended = await chats.expect(team.near_owner, "HQ ended the promotion 春季特惠 early")
    assert "总部" not in ended["text"]


async def test_a_category_floor_is_announced_in_each_readers_language(chats: Chats) -> None:
    team = await Team(chats).build()
    status, answer = await chats.api.call(
        "PUT", "/v1/price-rules/category/phones", {"floor": "1700.00", "currency": "CNY"}
    )
    assert status == 201, answer
    told = await chats.expect(team.other_owner, "总部新价格底线：品类 phones 的全部商品（phones）")
    assert "all products" not in told["text"]
    told = await chats.expect(team.near_owner, "New price floor from HQ: all products in category")
    assert "品类" not in told["text"]
