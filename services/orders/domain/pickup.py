"""Pickup codes: six digits the customer shows, stored only as a keyed, salted hash.

Randomness comes from the caller: pass ``random.SystemRandom()`` in production (a
``random.Random(seed)`` in tests). Six digits are guessable offline by whoever holds both
the hash and its key, so two defences work together: the hash is an HMAC-SHA256 under a
key kept out of the database (``BATON_PICKUP_KEY``, or a file in the data dir), so a leaked
orders table alone reveals no code; and ``PickupGuard`` locks the pickup after five wrong
codes, the online defence. An HMAC costs microseconds, where a slow hash (scrypt) cost
40 ms of CPU on every pickup order and bought nothing the key does not.

Orders taken before the key existed keep their scrypt hashes, which ``verify`` still checks.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import unicodedata
from dataclasses import dataclass

DIGITS = 6
MAX_WRONG = 5
KEY_BYTES = 32
_DASHES = "-‐‑‒–—―−ー－"


class PickupKeyMismatch(ValueError):
    """The code was hashed under another key than the one this process holds."""


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


def key_id(key: bytes) -> str:
    """A short public name for ``key``, kept beside each hash so a wrong key is noticed."""
    return hashlib.sha256(b"baton pickup key id\0" + key).hexdigest()[:12]


def hash_code(code: str, salt: bytes, key: bytes) -> str:
    """The code's keyed hash, as ``hmac-sha256$<key id>$<hex>``."""
    canonical = normalise(code)
    if canonical is None:
        raise ValueError("a pickup code is six digits")
    if len(key) < 16:
        raise ValueError("a pickup key is at least 16 bytes")
    return f"hmac-sha256${key_id(key)}${_mac(key, salt, canonical)}"


def verify(code: str, salt: bytes, digest: str, key: bytes) -> bool:
    """True when ``code`` (as typed) is the code ``digest`` was made from.

    Raises PickupKeyMismatch when ``digest`` was made under another key: no code could be
    right, and counting the customer's tries against it would lock them out for nothing.
    """
    parts = digest.split("$")
    canonical = normalise(code)
    if len(parts) == 3 and parts[0] == "hmac-sha256":
        if parts[1] != key_id(key):
            raise PickupKeyMismatch(
                f"this pickup code was hashed under key {parts[1]}, not {key_id(key)}: "
                "every process that takes or checks orders needs the same BATON_PICKUP_KEY"
            )
        return canonical is not None and hmac.compare_digest(_mac(key, salt, canonical), parts[2])
    if len(parts) == 5 and parts[0] == "scrypt":  # an order taken before keyed hashes
        _, n, r, p, expected = parts
        if canonical is None:
            return False
        got = hashlib.scrypt(canonical.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=32)
        return hmac.compare_digest(got.hex(), expected)
    raise ValueError("not a pickup code hash made by hash_code")


def _mac(key: bytes, salt: bytes, canonical: str) -> str:
    return hmac.new(key, salt + canonical.encode(), hashlib.sha256).hexdigest()


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
    key: bytes
    wrong: int = 0

    @property
    def locked(self) -> bool:
        """True once the wrong codes are used up."""
        return self.wrong >= MAX_WRONG

    def check(self, text: str) -> Result:
        """Check a typed code; never raises for any text (PickupKeyMismatch: a wrong key)."""
        if self.locked:
            return Locked()
        if normalise(text) is None:
            return Wrong(MAX_WRONG - self.wrong, malformed=True)
        if verify(text, self.salt, self.digest, self.key):
            return Accepted()
        self.wrong += 1
        return Locked() if self.locked else Wrong(MAX_WRONG - self.wrong)

    def reset(self) -> None:
        """HQ unlocks the pickup (after checking the customer some other way)."""
        self.wrong = 0
