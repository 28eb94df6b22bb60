#!/usr/bin/env python3
"""Set up a fresh clone and run it: `python3 dev.py up` or `python3 dev.py test`.

Needs only Python >= 3.11. Creates .venv, installs Baton with its development tools
there (again whenever pyproject.toml changes), then runs the command.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".baton-installed"

USAGE = """\
usage: python3 dev.py up [ARGS...]     set up, then run everything with demo data (baton up --demo)
       python3 dev.py test [ARGS...]   set up, then lint, type-check, check the import
                                       layers and run every test
                                       (ARGS go to pytest, e.g. -k bus)
       python3 dev.py setup            only set up .venv
"""


def setup() -> None:
    """Create .venv and install the project into it, unless it is already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - a clear message on an old Python
        sys.exit(f"Baton needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Baton and its tools into .venv (a minute the first time) …", flush=True)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f"{ROOT}[dev]"],
        check=True,
    )  # fmt: skip
    STAMP.write_text(wanted)


def run(*argv: str) -> int:
    """Run a command from .venv/bin in the project folder; returns its exit status."""
    print("$", " ".join(argv), flush=True)
    return subprocess.call([str(BIN / argv[0]), *argv[1:]], cwd=ROOT)


def main(args: list[str]) -> int:
    """Dispatch ``up``, ``test`` or ``setup``."""
    if not args or args[0] not in {"up", "test", "setup"}:
        print(USAGE, end="")
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    setup()
    if args[0] == "setup":
        return 0
    if args[0] == "up":
        os.chdir(ROOT)
        os.execv(str(BIN / "baton"), ["baton", "up", "--demo", *args[1:]])
    steps = (
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("mypy", "."),
        ("lint-imports", "--no-cache"),  # the layers and public faces of pyproject.toml
    )
    for step in steps:
        if run(*step) != 0:
            return 1
    # The whole suite runs on every core (pytest-xdist; each worker has its own Redis and
    # databases); arguments, such as -k bus, run just those tests in this process.
    status = run("pytest", *(args[1:] or ["-n", "auto", "--dist", "loadgroup", "-q"]))
    say_if_no_browser()
    return status


def say_if_no_browser() -> None:
    """Say plainly when the console's browser tests were skipped for want of Chromium."""
    from tests.console.browser import chromium  # where the browser tests look for it

    if chromium() is None:
        print(
            "\nNOTE: the console's browser tests (tests/console/) did NOT run: this machine "
            "has no Chromium.\n      Install it (Debian: apt-get install chromium) and run "
            "python3 dev.py test again.",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
