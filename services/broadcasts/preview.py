"""What a broadcast would say, and to how many dealer chats, sending nothing.

HQ's previews use it, in chat (``/broadcast``, ``/price``, ``/promo``) and over HTTP
(``POST /v1/broadcasts/preview`` and the previews of floors and promotions): the text is
rendered exactly as ``fanout`` would queue it, in every language dealers read, and the
audience is counted as ``fanout`` would count it now. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.broadcasts.fanout import audience_size
from services.broadcasts.render import body, check, floor_warning
from shared.chat.i18n import LANGUAGES


@dataclass(frozen=True)
class Preview:
    """A broadcast not made: its kind, region, audience, checked params and texts."""

    kind: str
    region: str | None  # None: every region
    audience: int  # dealer chats it would go to now
    params: dict[str, Any]  # as ``render.check`` normalised them
    messages: dict[str, str]  # language -> the text dealers reading it would get


def texts(kind: str, params: dict[str, Any]) -> dict[str, str]:
    """The text of a broadcast in each language dealers read (``params`` as checked)."""
    return {language: body(kind, params, language) for language in sorted(LANGUAGES)}


def floor_warnings(
    code: str, name: str, floor: int, currency: str, list_price: int | None,
    *, category: bool = False,
) -> dict[str, str]:  # fmt: skip
    """The warning of a risky floor (``render.floor_warning``) in each language."""
    return {
        language: floor_warning(code, name, floor, currency, list_price, language,
                                category=category)
        for language in sorted(LANGUAGES)
    }  # fmt: skip


async def preview(
    session: AsyncSession, *, kind: str, params: dict[str, Any], region: str | None
) -> Preview:
    """What a ``kind`` broadcast to ``region`` (None: every region) would be; BadBroadcast
    (a ValueError naming the field) if it could not be sent."""
    region = region.strip() if region and region.strip() else None
    checked = check(kind, params)
    audience = await audience_size(session, region)
    return Preview(kind, region, audience, checked, texts(kind, checked))
