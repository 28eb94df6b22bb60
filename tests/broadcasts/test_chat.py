"""HQ in chat: /broadcast with a preview and Send/Cancel, /stats, Acknowledge, the reminder."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from services.broadcasts.acks import remind_due
from services.broadcasts.fanout import start_broadcast
from services.broadcasts.models import CANCELLED, Broadcast
from shared.audit import entries
from shared.db.uow import unit_of_work
from tests.bus.support import eventually
from tests.dealer.conftest import Chats


class Team:
    """Who is in chat: the Sichuan stores' owners and staff, a Yunnan owner, HQ."""

    def __init__(self, chats: Chats) -> None:
        self.chats = chats

    async def build(self) -> Team:
        chats = self.chats
        await chats.network(far=True)  # near and other in Sichuan, far in Yunnan
        self.near_owner = await chats.bound("near", "owner")
        self.near_staff = await chats.bound("near", "staff", "zh")
        self.other_owner = await chats.bound("other", "owner", "zh")
        self.far_owner = await chats.bound("far", "owner")
        self.hq = await chats.bound("hq", "hq")
        return self

    @property
    def sichuan(self) -> list[int]:
        return [self.near_owner, self.near_staff, self.other_owner]


async def _texts(chats: Chats, chat_id: int) -> list[str]:
    return [m.get("text") or "" for m in await chats.emu.messages(chat_id) if m.get("from_bot")]


async def test_hq_previews_confirms_and_the_regions_dealers_get_it_once(chats: Chats) -> None:
    team = await Team(chats).build()
    start = await chats.last_id(team.hq)
    await chats.say(team.hq, "/broadcast")
    usage = await chats.expect(team.hq, "/broadcast region=Sichuan TEXT", after=start)
    assert "preview" in usage["text"]

    await chats.say(team.hq, "/broadcast region=Sichuan Stock count on Friday.\nThank you!")
    preview = await chats.expect(team.hq, "Preview: this goes to 3 dealer chats in region Sichuan")
    assert preview["text"].endswith("📢 From HQ:\nStock count on Friday.\nThank you!")
    assert not [t for c in team.sichuan for t in await _texts(chats, c) if "From HQ" in t]

    answer = await chats.emu.press(
        team.hq, preview["message_id"], data=chats.button(preview, "Send")
    )
    assert answer.text is not None and answer.text.startswith("Sending broadcast")
    for chat in (team.near_owner,):
        await chats.expect(chat, "📢 From HQ:\nStock count on Friday.\nThank you!")
    for chat in (team.near_staff, team.other_owner):
        await chats.expect(chat, "📢 总部通知：\nStock count on Friday.\nThank you!")
    edited = await chats.expect(team.hq, "Sending broadcast")
    assert edited["message_id"] == preview["message_id"] and not edited.get("reply_markup")
    late = await chats.emu.press(
        team.hq, preview["message_id"], data=chats.button(preview, "Cancel"), forge=True
    )
    assert late.text == "This broadcast was already sent or cancelled."

    async with chats.runtime.db.read() as session:
        [broadcast] = (await session.exec(select(Broadcast))).all()
        [sent] = await entries(session, action="broadcast.send")
    assert (sent.actor, sent.role, sent.target) == (f"tg:{team.hq}", "hq", broadcast.id)

    async def delivered() -> bool:
        status, body = await chats.api.call("GET", f"/v1/broadcasts/{broadcast.id}")
        return status == 200 and body["delivered"] == 3

    await eventually(delivered)
    for chat in [*team.sichuan, team.far_owner, team.hq]:  # HQ: its preview, edited
        count = sum("Stock count on Friday" in t for t in await _texts(chats, chat))
        assert count == (0 if chat == team.far_owner else 1)

    before = await chats.last_id(team.hq)
    await chats.say(team.hq, "/stats")
    line = await chats.expect(team.hq, "Recent broadcasts:", after=before)
    assert (
        f"{broadcast.id} · " in line["text"]
        and "notice to region Sichuan: 3 chats; sent 3, delivered 3, failed 0, blocked 0, "
        "acknowledged —"
        in line["text"]
    ), line["text"]


async def test_cancel_sends_nothing(chats: Chats) -> None:
    team = await Team(chats).build()
    await chats.say(team.hq, "/broadcast Closing early today")
    preview = await chats.expect(team.hq, "Preview: this goes to 4 dealer chats in every region")
    answer = await chats.emu.press(
        team.hq, preview["message_id"], data=chats.button(preview, "Cancel")
    )
    assert answer.text == "Cancelled: nothing was sent."
    await chats.expect(team.hq, "Cancelled: nothing was sent.")  # the preview, edited
    async with chats.runtime.db.read() as session:
        [broadcast] = (await session.exec(select(Broadcast))).all()
        [cancel] = await entries(session, action="broadcast.cancel")
    assert broadcast.state == CANCELLED and cancel.target == broadcast.id
    late = await chats.emu.press(
        team.hq, preview["message_id"], data=chats.button(preview, "Send"), forge=True
    )
    assert late.text == "This broadcast was already sent or cancelled."
    for chat in [*team.sichuan, team.far_owner]:
        assert not [t for t in await _texts(chats, chat) if "Closing early" in t]
    status, _ = await chats.api.call("GET", f"/v1/broadcasts/{broadcast.id}")
    assert status == 200
    before = await chats.last_id(team.hq)
    await chats.say(team.hq, "/stats")
    await chats.expect(team.hq, "No broadcasts yet.", after=before)


async def test_only_hq_may_broadcast_and_a_refusal_is_audited(chats: Chats) -> None:
    team = await Team(chats).build()
    await chats.say(team.near_owner, "/broadcast region=sichuan Cheap phones at my store!")
    await chats.expect(team.near_owner, "Only HQ can send broadcasts.")
    await chats.say(team.near_staff, "/stats")
    await chats.expect(team.near_staff, "只有总部可以查看广播统计。")
    stranger = await chats.user("stranger")
    await chats.say(stranger, "/broadcast hello")
    await chats.expect(stranger, "not linked to a store")
    async with chats.runtime.db.read() as session:
        refused = [e for e in await entries(session) if not e.allowed]
        assert (await session.exec(select(Broadcast))).all() == []
    assert {(e.actor, e.action, e.role) for e in refused} == {
        (f"tg:{team.near_owner}", "broadcast.send", "owner"),
        (f"tg:{team.near_staff}", "broadcast.stats", "staff"),
        (f"tg:{stranger}", "broadcast.send", None),  # an unbound chat's attempt too
    }
    [attempt] = [e for e in refused if e.action == "broadcast.send" and e.role == "owner"]
    assert attempt.detail["text"] == "region=sichuan Cheap phones at my store!"
    for chat in team.sichuan:
        assert not [t for t in await _texts(chats, chat) if "Cheap phones" in t]


async def test_hq_in_chinese_and_bad_input(chats: Chats) -> None:
    team = await Team(chats).build()
    hq_zh = await chats.bound("hq", "hq", "zh")
    await chats.say(hq_zh, "/broadcast 地区=Yunnan 周五盘点库存")
    preview = await chats.expect(hq_zh, "预览：将发送给云南的 1 个经销商聊天")
    assert chats.button(preview, "发送") and chats.button(preview, "取消")
    await chats.say(hq_zh, '/broadcast region="Inner Mongolia 你好')
    await chats.expect(hq_zh, "请这样写地区")
    await chats.say(hq_zh, "/broadcast region=Tibet hello")
    await chats.expect(hq_zh, "西藏没有可接收的经销商聊天")
    await chats.say(hq_zh, "/broadcast 地区=华西大区 你好")
    await chats.expect(hq_zh, "华西大区没有可接收的经销商聊天")  # not a province: as typed
    await chats.say(team.hq, "/broadcast " + "x" * 3501)
    await chats.expect(team.hq, "The text is too long: 3501 characters, at most 3500.")
    await chats.say(team.hq, "/help")
    help_text = await chats.expect(team.hq, "/broadcast [region=REGION] TEXT")
    assert "/stats" in help_text["text"]


async def test_a_rule_is_acknowledged_once_and_the_rest_get_one_reminder(chats: Chats) -> None:
    team = await Team(chats).build()
    runtime = chats.runtime
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        broadcast_id = await start_broadcast(
            uow, kind="price", region="Sichuan", created_by="api", requires_ack=True,
            params={"sku": "PX-1", "name": "Phone X", "floor": 179900, "currency": "CNY",
                    "effective_at": "2026-02-01T00:00:00+08:00"},
        )  # fmt: skip
    rule = await chats.expect(team.near_staff, "价格底线：Phone X（PX-1）")
    assert "1799.00 CNY" in rule["text"]
    answer = await chats.emu.press(
        team.near_staff, rule["message_id"], data=chats.button(rule, "已阅")
    )
    assert answer.text == "谢谢，已记录您已阅读。"
    await chats.expect(team.near_staff, "确认已阅")  # the message, edited, without its button
    again = await chats.emu.press(
        team.near_staff, rule["message_id"], data=chats.button(rule, "已阅"), forge=True
    )
    assert again.text == "您已经确认过了。"
    other = await chats.expect(team.other_owner, "价格底线")

    async def counted() -> bool:
        _, body = await chats.api.call("GET", f"/v1/broadcasts/{broadcast_id}")
        return bool(body["delivered"] == 3 and body["acknowledged"] == 1)

    await eventually(counted)
    delay = timedelta(hours=runtime.settings.ack_reminder_hours)
    assert delay == timedelta(hours=24)
    clock = chats.runtime.clock
    clock.advance(hours=23)  # type: ignore[attr-defined]
    assert await remind_due(runtime.db, clock, delay) == 0
    clock.advance(hours=1)  # type: ignore[attr-defined]
    assert await remind_due(runtime.db, clock, delay) == 1
    # Store "near" acknowledged (through its staff): only "other" is reminded.
    reminder = await chats.expect(team.other_owner, "⏰ 提醒")
    assert "价格底线：Phone X" in reminder["text"]
    answer = await chats.emu.press(
        team.other_owner, reminder["message_id"], data=chats.button(reminder, "已阅")
    )
    assert answer.text == "谢谢，已记录您已阅读。"
    await chats.expect(team.other_owner, "确认已阅")
    clock.advance(days=5)  # type: ignore[attr-defined]
    assert await remind_due(runtime.db, clock, delay) == 0
    for chat in (team.near_owner, team.near_staff, team.far_owner):
        assert not [t for t in await _texts(chats, chat) if "⏰" in t]

    async def both_edited() -> bool:  # the rule and its reminder now say it was acknowledged
        rules = [t for t in await _texts(chats, team.other_owner) if "价格底线" in t]
        return len(rules) == 2 and all("确认已阅" in t for t in rules)

    await eventually(both_edited)
    assert other["message_id"] != reminder["message_id"]

    async def both() -> bool:
        _, body = await chats.api.call("GET", f"/v1/broadcasts/{broadcast_id}")
        return bool(body["acknowledged"] == 2 and body["acknowledged_dealers"] == 2)

    await eventually(both)
    before = await chats.last_id(team.hq)
    await chats.say(team.hq, "/stats")
    line = await chats.expect(team.hq, "Recent broadcasts:", after=before)
    assert "price floor to region Sichuan: 3 chats; sent 3, delivered 3" in line["text"]
    assert "acknowledged 2" in line["text"]


async def test_a_region_is_named_in_either_language_and_shown_in_the_readers(
    chats: Chats,
) -> None:
    team = await Team(chats).build()  # the Sichuan stores are stored as "sichuan"
    hq_zh = await chats.bound("hq", "hq", "zh")
    for typed in ("region=四川", "地区=四川省", "地区=SICHUAN"):
        before = await chats.last_id(hq_zh)
        await chats.say(hq_zh, f"/broadcast {typed} 周五盘点库存")
        await chats.expect(hq_zh, "预览：将发送给四川的 3 个经销商聊天", after=before)
    before = await chats.last_id(team.hq)
    await chats.say(team.hq, "/broadcast region=四川 Stock count on Friday")
    await chats.expect(
        team.hq, "Preview: this goes to 3 dealer chats in region Sichuan", after=before
    )
    status, body = await chats.api.call(
        "POST", "/v1/broadcasts", {"text": "Closing early", "region": "四川"}
    )
    assert status == 201 and body["audience"] == 3, body
    before = await chats.last_id(hq_zh)
    await chats.say(hq_zh, "/stats")
    line = await chats.expect(hq_zh, "最近的广播", after=before)
    assert "通知 → 四川：3 个聊天" in line["text"], line["text"]
    texts = [t for c in team.sichuan for t in await _texts(chats, c)]
    assert not [t for t in texts if "sichuan" in t]
