"""The access service's public face: API keys, console sessions, and what the API checks."""

from __future__ import annotations

from services.access.keys import (
    ADMIN_CALLER,
    Authenticator,
    BadKeyRequest,
    KeyView,
    create_key,
    list_keys,
    revoke_key,
)
from services.access.sessions import (
    CLI_USER,
    CONSOLE_SCOPES,
    LINK_TTL,
    SESSION_TTL,
    Opened,
    Sessions,
    SignedIn,
    end_session,
    issue_link,
    redeem_link,
)

__all__ = [
    "ADMIN_CALLER",
    "CLI_USER",
    "CONSOLE_SCOPES",
    "LINK_TTL",
    "SESSION_TTL",
    "Authenticator",
    "BadKeyRequest",
    "KeyView",
    "Opened",
    "Sessions",
    "SignedIn",
    "create_key",
    "end_session",
    "issue_link",
    "list_keys",
    "redeem_link",
    "revoke_key",
]
