"""Text helpers: UTF-16 offsets and the entities Telegram detects in user messages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")
_URL = re.compile(r"\bhttps?://[^\s<>\"]+")


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units (Telegram's entity unit)."""
    return len(text.encode("utf-16-le")) // 2


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of character `index` in `text`."""
    return len(text[:index].encode("utf-8"))


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram adds to a plain user message: bot commands, mentions, URLs."""
    found: list[dict[str, Any]] = []
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION), ("url", _URL)):
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    found.sort(key=lambda e: (e["offset"], -e["length"]))
    return found


class MarkupError(Exception):
    """A parse error; rendered as 'Bad Request: can't parse entities: ...'."""


@dataclass
class Spans:
    """Output text being built, with entities in UTF-16 offsets."""

    chars: list[str] = field(default_factory=list)
    pos: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, text: str) -> None:
        """Append plain text."""
        self.chars.append(text)
        self.pos += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        """Close an entity that started at UTF-16 offset `start` (empty ones are dropped)."""
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        """The text and its entities, sorted like Telegram sorts them."""
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.chars), self.entities
