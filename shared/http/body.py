"""Reading an HTTP request's body whole, within a size limit, and decoding it as bounded JSON.

The API and the bot's webhook both read bodies here. ``request.content.read(n)`` returns
what has arrived so far, so a body sent in pieces must be read until its end; and a client
may send no Content-Length (chunked), so the limit is checked as bytes arrive.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from aiohttp import web

MAX_DEPTH = 32  # arrays and objects inside each other; no Baton body needs more than 4
_MARK = re.compile(rb'[\[\]{}"]')  # what the depth scan stops at
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.DOTALL)  # after an opening quote


class BodyTooLarge(ValueError):
    """The body is over the limit: the answer is 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is over {limit} bytes")
        self.limit = limit


class BadJson(ValueError):
    """The body is not JSON Baton reads: the answer is 400, the message says why."""


async def read_limited(request: web.BaseRequest, limit: int) -> bytes:
    """The whole body, however slowly it arrives; BodyTooLarge as soon as it passes ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    while True:
        # Ask for one byte more than the limit allows, so a body just over it is caught.
        chunk = await request.content.read(limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)


def too_deep(raw: bytes, max_depth: int) -> bool:
    """True if arrays and objects nest more than ``max_depth`` deep in ``raw``.

    One pass, left to right, skipping strings; it stops at an unterminated string (the
    decoder refuses that anyway), so no input makes it scan a byte twice.
    """
    level, at = 0, 0
    while (mark := _MARK.search(raw, at)) is not None:
        char, at = raw[mark.start()], mark.end()
        if char == 0x22:  # a string: skip to its closing quote
            rest = _STRING_REST.match(raw, at)
            if rest is None:
                return False
            at = rest.end()
        elif char in (0x5B, 0x7B):  # [ {
            level += 1
            if level > max_depth:
                return True
        else:
            level -= 1
    return False


def _no_constant(name: str) -> NoReturn:
    raise BadJson(f"{name} is not JSON")


def loads(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``raw`` as JSON: UTF-8, at most ``max_depth`` deep, no NaN or Infinity; else BadJson."""
    # Checked before decoding: the decoder recurses once per level and would overflow.
    if too_deep(raw, max_depth):
        raise BadJson(f"the body nests arrays and objects more than {max_depth} deep")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except BadJson:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadJson("the body is not valid JSON") from None
