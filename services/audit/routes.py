"""`GET /v1/audit`: HQ reads who changed rules, sent broadcasts and invited whom, and when."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from shared.audit import entries
from shared.http.context import RUNTIME
from shared.http.lists import answer_list, list_params
from shared.http.openapi import RouteTable
from shared.http.params import Text, one_key, query

MAX_LIMIT = 500


class AuditEntryView(BaseModel):
    """One HQ action, or a refused attempt at one."""

    id: int
    at: str
    actor: str
    role: str | None
    action: str
    target: str | None
    allowed: bool
    detail: dict[str, Any]


class AuditView(BaseModel):
    """The newest entries first; ``next_cursor`` asks for the page after (null: no more)."""

    entries: list[AuditEntryView]
    next_cursor: str | None


ROUTES = RouteTable()


@ROUTES.route(
    "GET", "/v1/audit", scope="audit:read",
    summary="The audit log, newest first; as CSV, every entry from the cursor on",
    response=AuditView,
    query=[
        Text("action", "only this action, e.g. price_rule.set or broadcast.send"),
        *list_params(MAX_LIMIT),
    ],
)  # fmt: skip
async def get_audit(request: web.Request) -> web.StreamResponse:
    action = query(request)["action"]

    async def read(cursor: list[str | int] | None, limit: int) -> list[AuditEntryView]:
        before = one_key(cursor, int, "the audit log")
        async with request.app[RUNTIME].db.read() as session:
            rows = await entries(session, action=action, limit=limit, before_id=before)
        return [
            AuditEntryView(
                id=row.id or 0, at=row.at.isoformat(), actor=row.actor, role=row.role,
                action=row.action, target=row.target, allowed=row.allowed, detail=row.detail,
            )
            for row in rows
        ]  # fmt: skip

    return await answer_list(request, "entries", AuditEntryView, read, lambda e: (e.id,))
