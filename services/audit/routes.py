"""`GET /v1/audit`: HQ reads who changed rules, sent broadcasts and invited whom, and when."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from shared.audit import entries
from shared.http.context import RUNTIME
from shared.http.openapi import RouteTable
from shared.http.params import Text, encode_cursor, one_key, page_params, query

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
    summary="The audit log, newest first", response=AuditView,
    query=[
        Text("action", "only this action, e.g. price_rule.set or broadcast.send"),
        *page_params(MAX_LIMIT),
    ],
)  # fmt: skip
async def get_audit(request: web.Request) -> web.StreamResponse:
    limit, action, cursor = (query(request)[k] for k in ("limit", "action", "cursor"))
    before = one_key(cursor, int, "the audit log")
    async with request.app[RUNTIME].db.read() as session:
        rows = await entries(session, action=action, limit=limit, before_id=before)
    last = rows[-1].id if len(rows) == limit else None
    view = AuditView(
        next_cursor=encode_cursor(last) if last is not None else None,
        entries=[
            AuditEntryView(
                id=row.id or 0, at=row.at.isoformat(), actor=row.actor, role=row.role,
                action=row.action, target=row.target, allowed=row.allowed, detail=row.detail,
            )
            for row in rows
        ]
    )  # fmt: skip
    return web.json_response(view.model_dump())
