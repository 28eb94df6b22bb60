"""The access service's public face: API keys, and the authenticator the HTTP API uses."""

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

__all__ = [
    "ADMIN_CALLER",
    "Authenticator",
    "BadKeyRequest",
    "KeyView",
    "create_key",
    "list_keys",
    "revoke_key",
]
