"""Secrets Baton generates for itself, kept in the data dir so that they outlive a restart.

The HTTP API's token (``api-token``) and the pickup code key (``pickup-key``). Only a
secret Baton generated is written (mode 0600); one set in the environment never is. Two
processes starting at once on one data dir end up with the same secret: the file is
written aside and linked into place, which fails for the second, who reads the first's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

API_TOKEN_FILE = "api-token"
PICKUP_KEY_FILE = "pickup-key"
DEMO_SHOP_KEY_FILE = "demo-shop-key"  # the demo shop's API key, `baton up --demo` only


class SecretFileError(ValueError):
    """The file exists but holds no secret."""


def read_secret(path: Path) -> str | None:
    """The secret kept at ``path`` (its mode tightened to 0600 if looser), or None if absent."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:  # readable by others: whoever could read it could use it
        path.chmod(0o600)
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise SecretFileError(f"{path} is empty; delete it and a new one is made at start")
    return token


def load_or_create(path: Path) -> tuple[str, bool]:
    """The secret kept at ``path``, or a new one written there; True if it is new."""
    token = read_secret(path)
    if token is not None:
        return token, False
    token = secrets.token_urlsafe(32)
    if keep_new(path, token):
        return token, True
    kept = read_secret(path)
    assert kept is not None
    return kept, False


def keep_new(path: Path, token: str) -> bool:
    """Write ``token`` to ``path`` (mode 0600) unless a file is there; True if written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(aside, path)  # never replaces a token another process wrote first
        except FileExistsError:
            return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            aside.unlink()
    return True
