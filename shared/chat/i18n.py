"""Message catalogs: every text a dealer reads, in Chinese (zh-Hans) and English.

The catalogs are one module per language (``texts_zh``, ``texts_en``); this module picks
one and fills its texts. A test checks that both catalogs have the same keys and the same
placeholders. English counts take a plural form after a colon: ``{count:chat|chats}``
reads ``1 chat``, ``3 chats``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from shared.chat.texts_en import EN
from shared.chat.texts_zh import ZH

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("zh", "en")

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}


def language_of(code: str | None) -> str:
    """The catalog for a Telegram ``language_code``: Chinese for any zh variant, else English."""
    if code and code.lower().startswith("zh"):
        return "zh"
    return DEFAULT_LANGUAGE


class _Formatter(string.Formatter):
    """``str.format`` plus plurals: ``{n:try|tries}`` is ``1 try``, ``4 tries``."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, many = format_spec.split("|", 1)
            return f"{value} {one if value == 1 else many}"
        return str(super().format_field(value, format_spec))


_FORMATTER = _Formatter()


def render(template: str, **values: object) -> str:
    """A catalog text filled with ``values``, plurals chosen."""
    return _FORMATTER.format(template, **values)


def t(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language``, filled with ``values``."""
    catalog = CATALOGS.get(language, CATALOGS[DEFAULT_LANGUAGE])
    return render(catalog[key], **values)


@dataclass(frozen=True)
class Problem:
    """Something to tell the user: a catalog key and the values it needs."""

    key: str
    values: dict[str, str | int] = field(default_factory=dict)
