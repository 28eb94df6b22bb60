"""Types returned by EmulatorClient, and its message matching."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Message = dict[str, Any]


class EmulatorRequestError(Exception):
    """The emulator refused a /_emu/ request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass
class CallbackAnswer:
    """A pressed button's callback query and the bot's answerCallbackQuery, if any."""

    callback_query_id: str
    answered: bool
    text: str | None
    show_alert: bool
    url: str | None
    data: str | None
    forged: bool

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> CallbackAnswer:
        """Build from the /_emu/ JSON view."""
        return cls(
            view["callback_query_id"],
            bool(view["answered"]),
            view.get("text"),
            bool(view.get("show_alert")),
            view.get("url"),
            view.get("data"),
            bool(view.get("forged")),
        )


def matches(
    message: Message,
    predicate: Callable[[Message], bool] | None,
    contains: str | None,
    from_bot: bool | None,
) -> bool:
    """Whether a message view passes the wait_for_message filters."""
    if message.get("deleted") or (from_bot is not None and message.get("from_bot") != from_bot):
        return False
    text = message.get("text") or message.get("caption") or ""
    if contains is not None and contains not in text:
        return False
    return predicate is None or predicate(message)
