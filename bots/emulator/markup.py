"""parse_mode handling (HTML here, Markdown in markdown.py), with Telegram-like errors."""

from __future__ import annotations

import html
import re
from typing import Any

from bots.emulator.errors import ApiError, bad_request
from bots.emulator.markdown import parse_markdown, parse_markdown_v2
from bots.emulator.text import MarkupError, Spans, byte_offset

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_ATTR = re.compile(r"""([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Apply `parse_mode`; raise ApiError 400 like Telegram on malformed markup."""
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            return parse_html(text)
        if mode == "markdownv2":
            return parse_markdown_v2(text)
        if mode == "markdown":
            return parse_markdown(text)
    except MarkupError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    if mode:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    return text, []


def _html_entity_kind(name: str, attrs: dict[str, str], where: int) -> tuple[str, dict[str, Any]]:
    kind = _HTML_TAGS.get(name)
    if kind is None or (name == "span" and attrs.get("class") != "tg-spoiler"):
        raise MarkupError(f'Unsupported start tag "{name}" at byte offset {where}')
    extra: dict[str, Any] = {}
    if name == "a":
        extra["url"] = attrs.get("href", "")
    elif name == "tg-emoji":
        extra["custom_emoji_id"] = attrs.get("emoji-id", "")
    elif name == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    elif name == "code" and attrs.get("class", "").startswith("language-"):
        extra["language"] = attrs["class"][len("language-") :]
    return kind, extra


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML style: strip supported tags into entities."""
    out = Spans()
    stack: list[tuple[str, int, str, dict[str, Any]]] = []
    i = 0
    while i < len(src):
        char = src[i]
        if char == "<":
            end = src.find(">", i)
            if end < 0:
                raise MarkupError(f"Unclosed start tag at byte offset {byte_offset(src, i)}")
            inner = src[i + 1 : end].strip()
            where = byte_offset(src, i)
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise MarkupError(f'Unexpected end tag "{name}" at byte offset {where}')
                top, start, kind, extra = stack.pop()
                if top != name:
                    raise MarkupError(
                        f'Unmatched end tag at byte offset {where}, expected "</{top}>", '
                        f'found "</{name}>"'
                    )
                if kind == "code" and stack and stack[-1][0] == "pre" and "language" in extra:
                    stack[-1][3]["language"] = extra["language"]
                else:
                    out.entity(kind, start, **extra)
            else:
                name, _, rest = inner.partition(" ")
                name = name.lower()
                attrs = {m[0].lower(): m[1] or m[2] or m[3] for m in _ATTR.findall(rest)}
                kind, extra = _html_entity_kind(name, attrs, where)
                stack.append((name, out.pos, kind, extra))
            i = end + 1
        elif char == "&" and (match := _HTML_ENTITY.match(src, i)):
            out.emit(html.unescape(match.group(0)))
            i = match.end()
        else:
            out.emit(char)
            i += 1
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()
