"""`baton invite --dealer ID --role ROLE` and `baton console`: an invitation, a sign-in link."""

from __future__ import annotations

import sys

from baton.runtime import open_runtime
from bots.dealer.routes import HQ_DEALER
from services.access.public import CLI_USER, LINK_TTL, issue_link
from services.catalog.directory import CatalogDirectory
from shared.audit import record
from shared.chat.identity import HQ_ROLES, create_invite, deep_link
from shared.db.uow import unit_of_work
from shared.settings import Settings


async def run_invite(settings: Settings, dealer_id: str, role: str) -> int:
    """Create the invitation; returns the exit status (2 for an unknown dealer)."""
    dealer_id = HQ_DEALER if role in HQ_ROLES else dealer_id
    async with open_runtime(settings) as runtime:
        if role not in HQ_ROLES and not await CatalogDirectory(runtime.db).has_dealer(dealer_id):
            print(
                f"baton: no dealer {dealer_id!r}; add it first (PUT /v1/dealers/{{id}})",
                file=sys.stderr,
            )
            return 2
        async with unit_of_work(runtime.db, runtime.clock) as uow:
            invite = await create_invite(uow, dealer_id, role, created_by="cli")
            record(
                uow.session,
                uow.clock.now(),
                "cli",
                "invite.create",
                target=dealer_id,
                detail={"role": role, "expires_at": invite.expires_at.isoformat()},
            )
    print(f"code: {invite.code}")
    print(f"link: {deep_link(settings.telegram_bot_username, invite.code)}")
    print(f"for:  {role} of {dealer_id}, valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC")
    return 0


async def run_console(settings: Settings) -> int:
    """Print a one-time admin sign-in link to the console (audited as ``cli``)."""
    async with open_runtime(settings) as runtime, unit_of_work(runtime.db, runtime.clock) as uow:
        token = await issue_link(uow, CLI_USER, "admin")
    minutes = int(LINK_TTL.total_seconds() // 60)
    print(f"{settings.console_url}/sign-in?t={token}")
    print(f"(signs an admin in once, within {minutes} minutes; do not share it)")
    return 0
