"""Dealer commands through the real python-telegram-bot client and the emulator."""

from __future__ import annotations

from sqlmodel import select

from services.catalog.models import Dealer
from shared.chat.identity import create_invite, redeem
from shared.chat.models import ChatUser
from shared.db.uow import unit_of_work
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


async def test_start_without_a_code_explains_and_with_a_code_binds(chats: Chats) -> None:
    await chats.network()
    stranger = await chats.user("Wang", "zh")
    await chats.say(stranger, "/start")
    await chats.expect(stranger, "邀请链接")
    await chats.say(stranger, "/start NOSUCHCODE")
    await chats.expect(stranger, "邀请码无效")
    await chats.say(stranger, "/orders")
    await chats.expect(stranger, "尚未绑定")
    owner = await chats.bound("near", "owner", "zh")
    async with chats.runtime.db.read() as session:
        user = await session.get(ChatUser, owner)
    assert user is not None and (user.dealer_id, user.role, user.language) == (
        "near",
        "owner",
        "zh",
    )


async def test_an_invitation_works_once(chats: Chats) -> None:
    await chats.network()
    async with unit_of_work(chats.runtime.db, chats.runtime.clock) as uow:
        invite = await create_invite(uow, "near", "staff", created_by="test")
    first, second = await chats.user("A"), await chats.user("B")
    await chats.say(first, f"/start {invite.code}")
    await chats.expect(first, "now works for Tianfu Store as staff")
    await chats.say(second, f"/start {invite.code.lower()}")
    await chats.expect(second, "already used")


async def test_start_in_a_linked_chat_says_what_it_is_linked_to(chats: Chats) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner", "zh")
    before = await chats.last_id(owner)
    await chats.say(owner, "/start")
    linked = await chats.expect(owner, "欢迎回来", after=before)
    assert "此聊天已绑定到Tianfu Store，您的身份是店主" in linked["text"]
    assert "邀请" not in linked["text"]  # nothing about linking it
    hq = await chats.bound("hq", "hq")
    before = await chats.last_id(hq)
    await chats.say(hq, "/start")
    await chats.expect(hq, "This chat is linked to HQ.", after=before)


async def test_chat_names_the_store_not_its_id(chats: Chats) -> None:
    await chats.network()
    await chats.stock("near", 3)
    owner = await chats.user("王店长", "zh")
    async with unit_of_work(chats.runtime.db, chats.runtime.clock) as uow:
        invite = await create_invite(uow, "near", "owner", created_by="test")
    await chats.say(owner, f"/start {invite.code}")
    bound = await chats.expect(owner, "绑定到")
    assert "此聊天现已绑定到Tianfu Store，身份：店主" in bound["text"], bound["text"]
    assert "near" not in bound["text"]

    async def listed() -> bool:
        before = await chats.last_id(owner)
        await chats.say(owner, "/stock")
        reply = await chats.expect(owner, "库存", after=before)
        return reply["text"].startswith("Tianfu Store的库存：")

    await eventually(listed, interval=0.2)
    hq = await chats.user("HQ Operator")
    async with unit_of_work(chats.runtime.db, chats.runtime.clock) as uow:
        invite = await create_invite(uow, "hq", "hq", created_by="test")
    await chats.say(hq, f"/start {invite.code}")
    await chats.expect(hq, "This chat now works for HQ.")


async def test_a_chat_bound_without_start_gets_its_roles_menu_in_its_language(
    chats: Chats,
) -> None:
    await chats.network()
    owner, hq = await chats.user("王店长", "zh"), await chats.user("HQ Operator")
    async with unit_of_work(chats.runtime.db, chats.runtime.clock) as uow:  # as the demo does
        for user, dealer, role, language in (
            (owner, "near", "owner", "zh"),
            (hq, "hq", "hq", "en"),
        ):
            invite = await create_invite(uow, dealer, role, created_by="demo")
            await redeem(uow, invite.code, user, user, "someone", language)
    shown: dict[int, list[dict[str, str]]] = {}

    async def menus() -> bool:
        for user in (owner, hq):
            shown[user] = await chats.emu.commands(user, "zh" if user == owner else "en")
        return shown[owner][0]["command"] == "orders" and shown[hq][0]["command"] == "broadcast"

    await eventually(menus)
    owner_menu = {c["command"]: c["description"] for c in shown[owner]}
    assert owner_menu["orders"] == "查看未完成的订单及下一步"
    assert owner_menu["pause"] == "暂停与恢复接收新订单"
    assert not [d for d in owner_menu.values() if d.startswith("/") or "：" in d[:12]]


async def test_help_lists_what_each_role_may_do(chats: Chats) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner")
    staff = await chats.bound("near", "staff")
    await chats.say(owner, "/help")
    owner_help = await chats.expect(owner, "What you can do")
    await chats.say(staff, "/help")
    staff_help = await chats.expect(staff, "What you can do")
    assert "/pause" in owner_help["text"] and "/earnings" in owner_help["text"]
    assert "/pause" not in staff_help["text"] and "/earnings" not in staff_help["text"]
    assert "/pickup" in staff_help["text"]


async def test_lang_switches_every_reply(chats: Chats) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner")
    await chats.say(owner, "/lang zh")
    await chats.expect(owner, "中文回复")
    after = await chats.last_id(owner)
    await chats.say(owner, "/orders")
    await chats.expect(owner, "没有未完成的订单", after=after)
    await chats.say(owner, "/lang fr")
    await chats.expect(owner, "/lang zh")


async def test_stock_report_and_levels(chats: Chats) -> None:
    await chats.network()
    staff = await chats.bound("near", "staff")
    await chats.say(staff, "/stock")
    await chats.expect(staff, "No stock reported yet")
    await chats.say(staff, "/stock PX-1 5\nNOPE 2")
    await chats.expect(staff, "NOPE is not in the catalog")
    await chats.say(staff, "/stock PX-1 five")
    await chats.expect(staff, "not a whole number")
    await chats.say(staff, "/stock PX-1 -2")
    await chats.expect(staff, "Line 1: -2 is below 0; a count is 0 or more.")
    await chats.say(staff, "/stock PX-1 10000001")
    await chats.expect(staff, "more than the largest count taken, 1,000,000")
    await chats.say(staff, "/stock ＰＸ－１　７")
    await chats.expect(staff, "Saved 1 count")

    async def reported() -> bool:
        _, body = await chats.api.call("GET", "/v1/dealers/near/stock")
        return any(lv["sku"] == "PX-1" and lv["on_hand"] == 7 for lv in body["levels"])

    await eventually(reported)
    after = await chats.last_id(staff)
    await chats.say(staff, "/stock")
    await chats.expect(staff, "PX-1: 7 available", after=after)


async def test_a_csv_file_reports_many_counts_or_none(chats: Chats) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner")
    await chats.emu.upload_document(owner, "stock.csv", b"sku,on_hand\nPX-1,abc\n", "text/csv")
    await chats.expect(owner, "Nothing was saved")
    await chats.emu.upload_document(
        owner, "stock.csv", "\ufeffsku,on_hand\nPX-1,9\n".encode(), "text/csv"
    )
    await chats.expect(owner, "Saved 1 count")


async def test_a_csv_file_is_answered_in_the_users_language_with_its_own_line_numbers(
    chats: Chats,
) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner", "zh")

    async def upload(content: bytes, expect: str) -> str:
        before = await chats.last_id(owner)
        await chats.emu.upload_document(owner, "库存.csv", content, "text/csv")
        return str((await chats.expect(owner, expect, after=before))["text"])

    text = await upload(
        b"sku,count\nPX-1,3\n", "第 1 行（标题行）必须包含 sku 和 on_hand 两列，缺少：on_hand"
    )
    assert "库存文件为 CSV 格式：第一行写 sku,on_hand" in text and "header" not in text
    text = await upload(
        b"sku,on_hand\nPX-1,3\nAC-9,-2\n", "第 3 行：-2 小于 0"
    )  # as Excel numbers rows
    text = await upload(b"\xff\xfe\x00\xffsku", "无法读取该文件的文字内容")
    assert "UTF-8 text" not in text
    gbk = "sku,on_hand,备注\nPX-1,4,新到货\n".encode("gbk")  # what a Chinese Excel saves
    await upload(gbk, "已保存 1 条库存")
    before = await chats.last_id(owner)
    await chats.say(owner, "/stock\nPX-1 5\nAC-9 x")  # typed: numbered from the /stock line
    await chats.expect(owner, "第 3 行：x 不是整数", after=before)
    before = await chats.last_id(owner)
    await chats.say(owner, "/help")
    assert (
        "CSV 文件（列为 sku,on_hand）"
        in (await chats.expect(owner, "/stock", after=before))["text"]
    )


async def test_only_an_owner_may_pause_and_resume(chats: Chats) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner")
    staff = await chats.bound("near", "staff")
    await chats.say(staff, "/pause")
    await chats.expect(staff, "cannot do that")
    await chats.say(owner, "/pause")
    await chats.expect(owner, "paused")

    async def paused() -> bool:
        async with chats.runtime.db.read() as session:
            dealer = (await session.exec(select(Dealer).where(Dealer.id == "near"))).one()
        return dealer.paused

    await eventually(paused)
    await chats.say(owner, "/resume")
    await chats.expect(owner, "receive new offers again")


async def test_earnings_take_the_period_in_either_language(chats: Chats) -> None:
    await chats.network()
    owner = await chats.bound("near", "owner", "zh")
    for typed, shown in (("本月", "本月收益（"), ("今天", "今日收益（"), ("WEEK", "本周收益（")):
        before = await chats.last_id(owner)
        await chats.say(owner, f"/earnings {typed}")
        await chats.expect(owner, shown, after=before)
    before = await chats.last_id(owner)
    await chats.say(owner, "/earnings 明年")
    usage = await chats.expect(owner, "/earnings 本月", after=before)
    assert "month" not in usage["text"]


async def test_unknown_text_says_what_to_type(chats: Chats) -> None:
    user = await chats.user("Lost", "zh")
    await chats.say(user, "你好")
    await chats.expect(user, "/help")


async def test_the_menu_shows_what_the_role_may_do_in_the_users_language(chats: Chats) -> None:
    await chats.network()

    async def menu(user: int, first: str, language: str = "") -> dict[str, str]:
        """The user's menu, once it starts with ``first`` (the bot sets it after replying)."""
        found: dict[str, str] = {}

        async def shown() -> bool:
            listed = await chats.emu.commands(user, language)
            found.clear()
            found.update((c["command"], c["description"]) for c in listed)
            return bool(listed) and listed[0]["command"] == first

        await eventually(shown)
        return found

    stranger = await chats.user("Nobody", "zh")
    assert list(await menu(stranger, "start", "zh")) == ["start", "lang", "help"]
    owner = await chats.bound("near", "owner", "en")
    staff = await chats.bound("near", "staff", "zh")
    hq = await chats.bound("hq", "hq", "en")
    assert {"earnings", "pause"} <= set(await menu(owner, "orders"))
    staff_menu = await menu(staff, "orders")
    assert not {"earnings", "pause"} & set(staff_menu) and "订单" in staff_menu["orders"]
    assert list(await menu(hq, "broadcast"))[:4] == ["broadcast", "stats", "price", "promo"]

    await chats.say(staff, "/lang en")
    await chats.expect(staff, "English")

    async def english() -> bool:
        return "orders" in (await menu(staff, "orders"))["orders"]

    await eventually(english)
