"""Pickup codes in transit: sealed where they are typed, opened where they are checked.

A code typed in chat goes from the bot to the orders service as a message on a Redis
stream, where anyone who can read the streams (or a dead letter, or a backup of Redis)
could read it. So the bot seals it with AES-GCM under a key derived (HKDF-SHA256) from
the pickup code key, with the order's id as associated data: the stream carries
``v1.<base64url of nonce and ciphertext>``, which only a holder of ``BATON_PICKUP_KEY``
can open, and only for that order.
"""

from __future__ import annotations

import base64
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1."
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed code that this key cannot open for this order (another key, or altered)."""


@functools.lru_cache(maxsize=4)
def _cipher(pickup_key: bytes) -> AESGCM:
    info = b"baton pickup code in transit"
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(pickup_key)
    return AESGCM(key)


def seal(code: str, order_id: str, pickup_key: bytes) -> str:
    """The code as typed, sealed for ``order_id``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(pickup_key).encrypt(nonce, code.encode(), order_id.encode())
    return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_sealed(sealed: str, order_id: str, pickup_key: bytes) -> str:
    """The code ``seal`` sealed for ``order_id``; SealError if this key cannot open it."""
    if not sealed.startswith(VERSION):
        raise SealError("not a sealed pickup code")
    body = sealed[len(VERSION) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        plain = _cipher(pickup_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], order_id.encode())
        return plain.decode()
    except (ValueError, InvalidTag, UnicodeDecodeError):
        raise SealError(
            "this pickup code was sealed under another key, or for another order: the bot "
            "and the orders workers need the same BATON_PICKUP_KEY"
        ) from None
