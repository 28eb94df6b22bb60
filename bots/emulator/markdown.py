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
    out = Spans()
    stack: list[tuple[str, int, int]] = []  # (mark, utf16 start, source index)
    i = 0
    while i < len(src):
        char = src[i]
        top = stack[-1][0] if stack else ""
        if char == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) < 127:
            out.emit(src[i + 1])
            i += 2
            continue
        if top in ("`", "```") and not src.startswith(top, i):
            out.emit(char)
            i += 1
            continue
        mark = next((m for m in _MDV2_MARKS if src.startswith(m[0], i)), None)
        if mark is not None:
            token, kind, _ = mark
            if top == token:
                _, start, origin = stack.pop()
                extra: dict[str, Any] = {}
                if token == "```":
                    extra = _pre_language(src, origin)
                out.entity(kind, start, **extra)
            else:
                stack.append((token, out.pos, i))
            i += len(token)
            if token == "```" and top != token:
                nl = src.find("\n", i)
                if nl >= 0 and re.fullmatch(r"[\w+-]*", src[i:nl]):
                    i = nl + 1
            continue
        if char == "[":
            stack.append(("[", out.pos, i))
            i += 1
            continue
        if char == "]" and top == "[" and src.startswith("(", i + 1):
            close = _find_unescaped(src, ")", i + 2)
            if close < 0:
                raise MarkupError(f"Can't find end of a url at byte offset {byte_offset(src, i)}")
            url = re.sub(r"\\(.)", r"\1", src[i + 2 : close])
            _, start, _ = stack.pop()
            out.entity("text_link", start, url=url)
            i = close + 1
            continue
        if char in _MDV2_RESERVED:
            raise MarkupError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.emit(char)
        i += 1
    if stack:
        open_mark, _, origin = stack[-1]
        name = next((m[2] for m in _MDV2_MARKS if m[0] == open_mark), "TextUrl")
        raise MarkupError(
            f"Can't find end of {name} entity at byte offset {byte_offset(src, origin)}"
        )
    return out.result()


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
