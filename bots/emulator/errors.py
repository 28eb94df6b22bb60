"""Error types: Bot API error answers and refused emulator actions."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answer (HTTP status, description, optional parameters)."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_api(self) -> dict[str, Any]:
        """The JSON body Telegram would send."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """A 400 'Bad Request: ...' error."""
    return ApiError(400, f"Bad Request: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 flood-control error."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def blocked() -> ApiError:
    """The 403 answer for a chat whose user blocked the bot."""
    return ApiError(403, "Forbidden: bot was blocked by the user")


class EmulatorError(Exception):
    """A user action the emulator refuses (unknown user, no such button, ...)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
