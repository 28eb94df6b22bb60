"""Invitations from the HTTP API and the CLI: a code and a link, checked, and audited."""

from __future__ import annotations

import pytest

from baton.invite_command import run_invite
from services.access.public import ADMIN_CALLER
from shared.audit import entries
from shared.runtime import Runtime
from shared.settings import Settings
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
    assert [(e["action"], e["detail"]["role"]) for e in body["entries"]] == [
        ("invite.create", "staff"),
        ("invite.create", "owner"),
    ]
    status, body = await api.call("GET", "/v1/audit?action=broadcast.send&limit=5")
    assert (status, body["entries"]) == (200, [])
    status, body = await api.call("GET", "/v1/audit?limit=0")
    assert status == 422 and body["error"]["fields"][0]["field"] == "limit"
    status, _ = await api.call("GET", "/v1/audit", headers={"Authorization": "Bearer nope"})
    assert status == 401
