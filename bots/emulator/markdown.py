"""MarkdownV2 and legacy Markdown parse modes, with Telegram-like errors."""

from __future__ import annotations

import re
from typing import Any

from bots.emulator.text import MarkupError, Spans, byte_offset

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


_MDV2_MARKS = (
    ("```", "pre", "PreCode"),
    ("`", "code", "Code"),
    ("||", "spoiler", "Spoiler"),
    ("__", "underline", "Underline"),
    ("*", "bold", "Bold"),
    ("_", "italic", "Italic"),
    ("~", "strikethrough", "Strikethrough"),
)


def parse_markdown_v2(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's MarkdownV2: every reserved character outside markup must be escaped."""
    return _MarkdownV2(src).parse()


class _MarkdownV2:
    """One MarkdownV2 text being read: where it is, the marks still open, the output.

    Each step reads one construct at the current position (an escape, code text, a mark,
    a link's text or its URL) and says whether it did; plain text is the last resort.
    """

    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0
        self.out = Spans()
        self.stack: list[tuple[str, int, int]] = []  # (mark, utf16 start, source index)

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        """The text and its entities; MarkupError as Telegram words it."""
        steps = (self._escape, self._code_text, self._mark, self._link_text, self._link_url)
        while self.i < len(self.src):
            if not any(step() for step in steps):
                self._plain()
        if self.stack:
            open_mark, _, origin = self.stack[-1]
            name = next((m[2] for m in _MDV2_MARKS if m[0] == open_mark), "TextUrl")
            raise MarkupError(
                f"Can't find end of {name} entity at byte offset {byte_offset(self.src, origin)}"
            )
        return self.out.result()

    @property
    def _top(self) -> str:
        return self.stack[-1][0] if self.stack else ""

    def _escape(self) -> bool:
        src, i = self.src, self.i
        if not (src[i] == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) < 127):
            return False
        self.out.emit(src[i + 1])
        self.i += 2
        return True

    def _code_text(self) -> bool:
        # Inside code only the closing mark counts: the rest is text as it is.
        top = self._top
        if top not in ("`", "```") or self.src.startswith(top, self.i):
            return False
        self.out.emit(self.src[self.i])
        self.i += 1
        return True

    def _mark(self) -> bool:
        src, top = self.src, self._top
        mark = next((m for m in _MDV2_MARKS if src.startswith(m[0], self.i)), None)
        if mark is None:
            return False
        token, kind, _ = mark
        if top == token:
            _, start, origin = self.stack.pop()
            extra = _pre_language(src, origin) if token == "```" else {}
            self.out.entity(kind, start, **extra)
        else:
            self.stack.append((token, self.out.pos, self.i))
        self.i += len(token)
        if token == "```" and top != token:  # an opening ``` may name its language
            nl = src.find("\n", self.i)
            if nl >= 0 and re.fullmatch(r"[\w+-]*", src[self.i : nl]):
                self.i = nl + 1
        return True

    def _link_text(self) -> bool:
        if self.src[self.i] != "[":
            return False
        self.stack.append(("[", self.out.pos, self.i))
        self.i += 1
        return True

    def _link_url(self) -> bool:
        src, i = self.src, self.i
        if not (src[i] == "]" and self._top == "[" and src.startswith("(", i + 1)):
            return False
        close = _find_unescaped(src, ")", i + 2)
        if close < 0:
            raise MarkupError(f"Can't find end of a url at byte offset {byte_offset(src, i)}")
        url = re.sub(r"\\(.)", r"\1", src[i + 2 : close])
        _, start, _ = self.stack.pop()
        self.out.entity("text_link", start, url=url)
        self.i = close + 1
        return True

    def _plain(self) -> None:
        char = self.src[self.i]
        if char in _MDV2_RESERVED:
            raise MarkupError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        self.out.emit(char)
        self.i += 1


def _pre_language(src: str, origin: int) -> dict[str, Any]:
    nl = src.find("\n", origin + 3)
    lang = src[origin + 3 : nl] if nl >= 0 else ""
    return {"language": lang} if lang and re.fullmatch(r"[\w+-]+", lang) else {}


def _find_unescaped(src: str, char: str, start: int) -> int:
    i = start
    while i < len(src):
        if src[i] == "\\":
            i += 2
            continue
        if src[i] == char:
            return i
        i += 1
    return -1


def parse_markdown(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = Spans()
    i = 0
    marks = (("```", "pre"), ("`", "code"), ("*", "bold"), ("_", "italic"))
    while i < len(src):
        char = src[i]
        if char == "\\" and i + 1 < len(src) and src[i + 1] in "_*`[":
            out.emit(src[i + 1])
            i += 2
            continue
        mark = next((m for m in marks if src.startswith(m[0], i)), None)
        if mark is not None or char == "[":
            token, kind = mark if mark is not None else ("[", "text_link")
            end_token = "](" if token == "[" else token
            end = src.find(end_token, i + len(token))
            if end < 0:
                raise MarkupError(
                    f"Can't find end of the entity starting at byte offset {byte_offset(src, i)}"
                )
            start = out.pos
            out.emit(src[i + len(token) : end])
            extra: dict[str, Any] = {}
            i = end + len(end_token)
            if token == "[":
                close = src.find(")", i)
                if close < 0:
                    raise MarkupError(
                        f"Can't find end of a url at byte offset {byte_offset(src, i)}"
                    )
                extra["url"] = src[i:close]
                i = close + 1
            out.entity(kind, start, **extra)
            continue
        out.emit(char)
        i += 1
    return out.result()
