"""Invitations from the HTTP API and the CLI: a code and a link, checked, and audited."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from baton.invite_command import run_invite
from services.access.public import ADMIN_CALLER
from shared.audit import entries
from shared.chat.buttons import button_key, issue
from shared.chat.identity import create_invite, invite_key
from shared.chat.models import ButtonToken, Invite
from shared.db.migrate import upgrade_sync
from shared.db.uow import unit_of_work
from shared.runtime import Runtime
from shared.settings import Settings
from tests.api.test_pages import walk
from tests.conftest import ApiClient
from tests.orders.conftest import NEAR_BODY

ADMIN_ACTOR = ADMIN_CALLER.actor  # the audit's name for the admin token


async def test_the_api_invites_owners_staff_and_hq_and_audits_it(
    api: ApiClient, runtime: Runtime
) -> None:
    assert (await api.call("PUT", "/v1/dealers/near", NEAR_BODY))[0] == 201
    status, body = await api.call("POST", "/v1/invites", {"dealer_id": "near", "role": "staff"})
    assert status == 201, body
    assert body["role"] == "staff" and body["dealer_id"] == "near"
    assert body["deep_link"] == f"https://t.me/baton_dev_bot?start={body['code']}"
    status, body = await api.call("POST", "/v1/invites", {"dealer_id": "anything", "role": "hq"})
    assert status == 201 and body["dealer_id"] == "hq"

    for bad, field in (
        ({"dealer_id": "nope", "role": "owner"}, "dealer_id"),
        ({"dealer_id": "near", "role": "boss"}, "role"),
        ({"dealer_id": "near"}, "role"),
    ):
        status, body = await api.call("POST", "/v1/invites", bad)
        assert status in (404, 422), body
        assert field in str(body)
    async with runtime.db.read() as session:
        log = await entries(session, action="invite.create")
    assert [(e.actor, e.target, e.detail["role"]) for e in log] == [
        (ADMIN_ACTOR, "hq", "hq"),
        (ADMIN_ACTOR, "near", "staff"),
    ]


async def test_baton_invite_prints_the_code_and_link(
    api: ApiClient, runtime: Runtime, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (await api.call("PUT", "/v1/dealers/near", NEAR_BODY))[0] == 201
    assert await run_invite(settings, "near", "owner") == 0
    out = capsys.readouterr().out
    assert "code: " in out and "https://t.me/baton_dev_bot?start=" in out
    assert "owner of near" in out
    assert await run_invite(settings, "nope", "owner") == 2
    assert "no dealer 'nope'" in capsys.readouterr().err
    async with runtime.db.read() as session:
        log = await entries(session, action="invite.create")
    assert [(e.actor, e.target) for e in log] == [("cli", "near")]


async def test_hq_reads_the_audit_log_newest_first(api: ApiClient, runtime: Runtime) -> None:
    assert (await api.call("PUT", "/v1/dealers/near", NEAR_BODY))[0] == 201
    for role in ("owner", "staff"):
        assert (await api.call("POST", "/v1/invites", {"dealer_id": "near", "role": role}))[
            0
        ] == 201
    status, body = await api.call("GET", "/v1/audit")
    assert status == 200
    assert [e["action"] for e in body["entries"]] == [
        "invite.create",
        "invite.create",
        "dealer.put",
    ]
    status, body = await api.call("GET", "/v1/audit?action=invite.create")
    assert status == 200
    assert [e["detail"]["role"] for e in body["entries"]] == ["staff", "owner"]
    status, body = await api.call("GET", "/v1/audit?action=broadcast.send&limit=5")
    assert (status, body["entries"]) == (200, [])
    status, body = await api.call("GET", "/v1/audit?limit=0")
    assert status == 422 and body["error"]["fields"][0]["field"] == "limit"
    status, _ = await api.call("GET", "/v1/audit", headers={"Authorization": "Bearer nope"})
    assert status == 401


async def test_invitation_codes_and_button_data_are_kept_only_as_hashes(
    api: ApiClient, runtime: Runtime
) -> None:
    assert (await api.call("PUT", "/v1/dealers/near", NEAR_BODY))[0] == 201
    _, invited = await api.call("POST", "/v1/invites", {"dealer_id": "near", "role": "staff"})
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        data = await issue(uow, "accept", "of_1", "near", ["owner"])
    async with runtime.db.read() as session:
        [invite] = (await session.exec(select(Invite))).all()
        [button] = (await session.exec(select(ButtonToken))).all()
    assert invite.code_hash == invite_key(invited["code"]) != invited["code"]
    assert button.id == button_key(data) != data
    kept = f"{invite.model_dump()} {button.model_dump()}"
    assert invited["code"] not in kept and data not in kept
    # The code as typed (any case, spaces around) still finds its invitation.
    assert invite_key(f"  {invited['code'].lower()} ") == invite.code_hash


def test_codes_and_buttons_given_before_hashing_still_work(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade_sync(url, "0010")
    with sqlite3.connect(tmp_path / "old.db") as old:
        old.execute(
            "INSERT INTO invites (code, dealer_id, role, created_by, created_at, expires_at) "
            "VALUES ('ABCDEFGHJK', 'near', 'staff', 'cli', '2026-12-01 00:00:00', "
            "'2026-12-08 00:00:00')"
        )
        old.execute(
            "INSERT INTO button_tokens (id, action, subject, dealer_id, roles, expires_at) "
            "VALUES ('btn-data-123', 'accept', 'of_1', 'near', 'owner', '2026-12-08 00:00:00')"
        )
    upgrade_sync(url)
    with sqlite3.connect(tmp_path / "old.db") as new:
        assert new.execute("SELECT code_hash FROM invites").fetchall() == [
            (invite_key("ABCDEFGHJK"),)
        ]
        assert new.execute("SELECT id FROM button_tokens").fetchall() == [
            (button_key("btn-data-123"),)
        ]


async def test_invitations_list_newest_first_by_state_without_their_codes(
    api: ApiClient, runtime: Runtime
) -> None:
    assert (await api.call("PUT", "/v1/dealers/near", NEAR_BODY))[0] == 201
    codes = []
    for role in ("owner", "staff", "staff"):
        status, made = await api.call("POST", "/v1/invites", {"dealer_id": "near", "role": role})
        assert status == 201
        codes.append(made["code"])
    async with unit_of_work(runtime.db, runtime.clock) as uow:
        await create_invite(uow, "near", "staff", "test", ttl=timedelta(seconds=-1))
    async with runtime.db.write() as session:
        used = await session.get(Invite, invite_key(codes[0]))
        assert used is not None
        used.used_at, used.used_by = runtime.clock.now(), 4242

    pages = await walk(api, "/v1/invites", "invitations", 3)
    listed = [i for page in pages for i in page]
    assert [len(page) for page in pages] == [3, 1]
    assert [i["state"] for i in listed] == ["expired", "open", "open", "used"]
    assert listed[-1]["used_by"] == 4242 and listed[-1]["role"] == "owner"
    assert not any(code in str(pages) for code in codes)  # a code is shown once, when made
    states = {}
    for state in ("open", "used", "expired"):
        _, page = await api.call("GET", f"/v1/invites?state={state}&dealer_id=near")
        states[state] = len(page["invitations"])
    assert states == {"open": 2, "used": 1, "expired": 1}
    assert (await api.call("GET", "/v1/invites?dealer_id=other"))[1]["invitations"] == []
    status, text = await api.call("GET", "/v1/invites?format=csv&state=open")
    assert status == 200 and text.count("\r\n") == 3  # the header and two invitations
