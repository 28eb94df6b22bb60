"""`GET /v1/audit`: HQ reads who changed rules, sent broadcasts and invited whom, and when."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from services.api.context import RUNTIME
from services.api.errors import ApiError
from services.api.openapi import Api
from shared.audit import entries

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
    """The newest entries first."""

    entries: list[AuditEntryView]


def _limit(raw: str | None) -> int:
    if raw is None:
        return 100
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(
            422, "invalid", f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit"
        )
    return int(raw)


def register(api: Api) -> None:
    """Declare the audit route on ``api``."""

    @api.route(
        "GET", "/v1/audit", summary="The audit log, newest first (?action=, ?limit=)",
        response=AuditView,
    )  # fmt: skip
    async def get_audit(request: web.Request) -> web.StreamResponse:
        limit = _limit(request.query.get("limit"))
        action = request.query.get("action") or None
        async with request.app[RUNTIME].db.read() as session:
            rows = await entries(session, action=action, limit=limit)
        view = AuditView(
            entries=[
                AuditEntryView(
                    id=row.id or 0, at=row.at.isoformat(), actor=row.actor, role=row.role,
                    action=row.action, target=row.target, allowed=row.allowed, detail=row.detail,
                )
                for row in rows
            ]
        )  # fmt: skip
        return web.json_response(view.model_dump())
