"""The one shape of every error answer: ``{"error": {"code", "message", "fields": [...]}}``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

ERROR_STATUSES = {
    400: "The body is not JSON, or nests too deep",
    401: "No valid API key (unknown, revoked or expired)",
    403: "The API key lacks the scope, or is bound to another dealer",
    404: "Not found",
    405: "Method not allowed (see the Allow header)",
    409: "Conflicts with the state of what it names",
    413: "The body is too large",
    422: "Some fields or query parameters are invalid",
    429: "Too many requests of this kind for this API key (see the Retry-After header)",
}


class FieldProblem(BaseModel):
    """One bad field: its path (``lines[2].sku``, a query or path parameter) and what is wrong."""

    field: str
    message: str


class ErrorDetail(BaseModel):
    """What went wrong: a code to branch on, a message to read, and the fields at fault."""

    code: str
    message: str
    fields: list[FieldProblem] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer of the API."""

    error: ErrorDetail


def error_body(
    code: str, message: str, fields: Iterable[Mapping[str, str]] = ()
) -> dict[str, object]:
    """An error answer's JSON; ``fields`` is always a list, empty when no field is at fault."""
    problems = [{"field": str(f["field"]), "message": str(f["message"])} for f in fields]
    return {"error": {"code": code, "message": message, "fields": problems}}


class ApiError(Exception):
    """An answer other than success: an HTTP status and a JSON body saying what to fix.

    ``field`` names the one field at fault (its message is ``message``); ``fields`` lists
    several, each with its own message.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        fields: Iterable[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        problems = list(fields)
        if field is not None:
            problems.insert(0, {"field": field, "message": message})
        self.status = status
        self.body = error_body(code, message, problems)
        self.headers = dict(headers or {})


def invalid_fields(*problems: tuple[str, str]) -> ApiError:
    """A 422 naming each ``(field, message)``."""
    return ApiError(
        422,
        "invalid",
        "some fields are invalid",
        fields=[{"field": f, "message": m} for f, m in problems],
    )
