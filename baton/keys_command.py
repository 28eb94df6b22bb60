"""`baton keys create|list|revoke`: API keys for shops, sync jobs, HQ and finance."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

from baton.runtime import open_runtime
from services.access.public import BadKeyRequest, KeyView, create_key, list_keys, revoke_key
from services.catalog.directory import CatalogDirectory
from shared.http.access import PRESETS, SCOPES
from shared.settings import Settings

SCOPE_HELP = (
    "a scope, or a preset of them; repeat or separate with commas. Scopes: "
    + ", ".join(SCOPES)
    + ". Presets: "
    + "; ".join(f"{name} ({', '.join(scopes)})" for name, scopes in PRESETS.items())
)


async def run_create(
    settings: Settings,
    name: str,
    scopes: list[str],
    channel: str | None,
    dealer_id: str | None,
    expires_in_days: float | None,
) -> int:
    """Make a key and print its token once; exits 2, making nothing, on a bad request."""
    wanted = [s for given in scopes for s in given.split(",") if s.strip()]
    async with open_runtime(settings) as runtime:
        if dealer_id is not None and not await CatalogDirectory(runtime.db).has_dealer(dealer_id):
            print(f"baton: no dealer {dealer_id!r}", file=sys.stderr)
            return 2
        expires_at = (
            runtime.clock.now() + timedelta(days=expires_in_days)
            if expires_in_days is not None
            else None
        )
        try:
            view, token = await create_key(
                runtime.db, runtime.clock, name=name, scopes=wanted, created_by="cli",
                channel=channel, dealer_id=dealer_id, expires_at=expires_at,
            )  # fmt: skip
        except BadKeyRequest as exc:
            print(f"baton: {exc}", file=sys.stderr)
            return 2
    print(f"key:    {token}")
    print(f"id:     {view.id} ({view.name})")
    print(f"scopes: {', '.join(view.scopes)}{_binding(view)}")
    if view.expires_at is not None:
        print(f"expires {view.expires_at:%Y-%m-%d %H:%M} UTC")
    print("The key is shown this once; Baton keeps only its hash.", file=sys.stderr)
    return 0


async def run_list(settings: Settings) -> int:
    """Print every key, one a line; never a secret."""
    async with open_runtime(settings) as runtime:
        keys = await list_keys(runtime.db)
        now = runtime.clock.now()
    if not keys:
        print("no API keys yet; make one with `baton keys create --name NAME --scope SCOPE`")
        return 0
    print(f"{'id':<12}  {'state':<7}  {'name':<20}  {'last used':<16}  scopes")
    for view in keys:
        print(
            f"{view.id:<12}  {view.state(now):<7}  {view.name[:20]:<20}  "
            f"{_when(view.last_used_at):<16}  {', '.join(view.scopes)}{_binding(view)}"
        )
    return 0


async def run_revoke(settings: Settings, key_id: str) -> int:
    """Revoke a key; exits 2 if there is none with that id."""
    async with open_runtime(settings) as runtime:
        view = await revoke_key(runtime.db, runtime.clock, key_id, by="cli")
    if view is None:
        print(f"baton: no API key {key_id!r} (`baton keys list` shows them)", file=sys.stderr)
        return 2
    print(f"revoked {view.id} ({view.name}); every API process refuses it within 2 s")
    return 0


def _binding(view: KeyView) -> str:
    if view.channel is not None:
        return f"; channel {view.channel}"
    if view.dealer_id is not None:
        return f"; dealer {view.dealer_id}"
    return ""


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at is not None else "never"
