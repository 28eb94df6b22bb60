"""Messages of Baton's own plumbing, not of any one service."""

from __future__ import annotations

from pydantic import Field

from shared.messages.envelope import Message
from shared.messages.registry import message


@message("system.HqAlertRaised", stream="alerts")
class HqAlertRaised(Message):
    """Something needs a person at HQ: an order nobody can take, a blocked bot, a lockout."""

    kind: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    subject_id: str | None = None
