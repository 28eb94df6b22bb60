"""The HTTP API's generated token, kept in the data dir so that it outlives a restart.

Only a token Baton generated is written (mode 0600); one set by ``BATON_API_TOKEN`` never
is. Two processes starting at once on one data dir end up with the same token: the file is
written aside and linked into place, which fails for the second, who reads the first's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

FILE_NAME = "api-token"


class TokenFileError(ValueError):
    """The token file exists but holds no token."""


def read_token(path: Path) -> str | None:
    """The token kept at ``path`` (its mode tightened to 0600 if looser), or None if absent."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:  # readable by others: whoever could read it could call the API
        path.chmod(0o600)
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise TokenFileError(f"{path} is empty; delete it and a new token is made at start")
    return token


def load_or_create(path: Path) -> tuple[str, bool]:
    """The token kept at ``path``, or a new one written there; True if it is new."""
    token = read_token(path)
    if token is not None:
        return token, False
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
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
            kept = read_token(path)
            assert kept is not None
            return kept, False
    finally:
        with contextlib.suppress(FileNotFoundError):
            aside.unlink()
    return token, True
