"""Where the browser tests find Chromium, and what they say when they cannot.

The tests drive Debian's Chromium (``/usr/bin/chromium``, or ``BATON_CHROMIUM``) with
Playwright; a test tool's own browser download does not work on every machine. Without
Chromium they are skipped with that reason, and ``dev.py test`` says so in plain words;
with ``BATON_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets) a missing browser fails instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium() -> str | None:
    """The Chromium to drive, or None if this machine has none."""
    given = os.environ.get("BATON_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_reason() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if chromium() is None:
        return "the browser tests did not run: no Chromium (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the browser tests did not run: Playwright is not installed (python3 dev.py setup)"
    return None
