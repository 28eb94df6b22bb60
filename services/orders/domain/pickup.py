"""Pickup codes: six digits the customer shows, stored only as a salted, slow hash.

Randomness comes from the caller: pass ``random.SystemRandom()`` in production (a
``random.Random(seed)`` in tests). Six digits are guessable offline whatever the hash, so
the real defence is ``PickupGuard``: five wrong codes lock the pickup until HQ resets it.
The hash (scrypt, per-order salt) keeps a leaked table from reading out codes at a glance.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import unicodedata
from dataclasses import dataclass

DIGITS = 6
MAX_WRONG = 5
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 16 MB and tens of ms a hash
_DASHES = "-‐‑‒–—―−ー－"


def new_code(rng: random.Random) -> str:
    """A fresh code: six digits, leading zeros allowed."""
    return f"{rng.randrange(10**DIGITS):0{DIGITS}d}"


def new_salt(rng: random.Random) -> bytes:
    """A fresh 16-byte salt for one order's code."""
    return rng.randbytes(16)


def normalise(text: str) -> str | None:
    """The code typed, as six ASCII digits; ``None`` when it cannot be a code.

    Full-width and other Unicode digits become ASCII; spaces and dashes are dropped.
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    folded = unicodedata.normalize("NFKC", text)
    digits = []
    for char in folded:
        if char.isspace() or char in _DASHES:
            continue
        value = unicodedata.decimal(char, None)
        if value is None:
            return None
        digits.append(str(value))
    code = "".join(digits)
    return code if len(code) == DIGITS else None


def hash_code(code: str, salt: bytes, *, n: int = SCRYPT_N) -> str:
    """The code's scrypt hash with its parameters, as ``scrypt$n$r$p$hex``."""
    canonical = normalise(code)
    if canonical is None:
        raise ValueError("a pickup code is six digits")
    digest = hashlib.scrypt(canonical.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${digest.hex()}"


def verify(code: str, salt: bytes, digest: str) -> bool:
    """True when ``code`` (as typed) is the code ``digest`` was made from."""
    parts = digest.split("$")
    if len(parts) != 5 or parts[0] != "scrypt":
        raise ValueError("not a pickup code hash made by hash_code")
    _, n, r, p, expected = parts
    canonical = normalise(code)
    if canonical is None:
        return False
    got = hashlib.scrypt(canonical.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got.hex(), expected)


@dataclass(frozen=True)
class Accepted:
    """The code is right: hand the goods over."""


@dataclass(frozen=True)
class Wrong:
    """Not the code; ``malformed`` when it was not six digits (that try is not counted)."""

    remaining: int
    malformed: bool = False


@dataclass(frozen=True)
class Locked:
    """Too many wrong codes: HQ must reset the pickup."""


Result = Accepted | Wrong | Locked


@dataclass
class PickupGuard:
    """One order's pickup code check, locking after ``MAX_WRONG`` wrong codes."""

    salt: bytes
    digest: str
    wrong: int = 0

    @property
    def locked(self) -> bool:
        """True once the wrong codes are used up."""
        return self.wrong >= MAX_WRONG

    def check(self, text: str) -> Result:
        """Check a typed code; never raises for any text."""
        if self.locked:
            return Locked()
        if normalise(text) is None:
            return Wrong(MAX_WRONG - self.wrong, malformed=True)
        if verify(text, self.salt, self.digest):
            return Accepted()
        self.wrong += 1
        return Locked() if self.locked else Wrong(MAX_WRONG - self.wrong)

    def reset(self) -> None:
        """HQ unlocks the pickup (after checking the customer some other way)."""
        self.wrong = 0
