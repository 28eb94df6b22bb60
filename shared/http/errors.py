"""Domain errors become JSON answers at the edge; nothing else leaks a traceback."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from shared.http.body import BadJson, BodyTooLarge, loads, read_limited
from shared.http.openapi import Endpoint
from shared.http.problems import ApiError, error_body

__all__ = ["ApiError", "invalid", "read_body", "read_json"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
M = TypeVar("M", bound=BaseModel)
BODY = "(body)"


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Each bad field of a validation error, with its path and what is wrong."""
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or BODY,
            "message": err["msg"].removeprefix("Value error, "),
        }
        for err in exc.errors()
    ]


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, read whole; refuses an oversized, malformed or too deep one."""
    try:
        return loads(await read_limited(request, MAX_BODY_BYTES))
    except BodyTooLarge as exc:
        raise ApiError(413, "body_too_large", str(exc), field=BODY) from None
    except BadJson as exc:
        raise ApiError(400, "bad_json", str(exc), field=BODY) from None


def invalid(exc: ValidationError) -> ApiError:
    """A 422 answer naming every field that failed validation."""
    return ApiError(422, "invalid", "some fields are invalid", fields=field_errors(exc))


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body validated as ``model``; a 4xx ApiError says what is wrong with it."""
    data = await read_json(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from None


@web.middleware
async def errors_middleware(request: web.Request, handler: Endpoint) -> web.StreamResponse:
    """Map ApiError, validation errors and unknown routes to JSON; log anything unexpected."""
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response(exc.body, status=exc.status, headers=exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        # Keep what the client needs to recover, such as Allow on a 405.
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return web.json_response(error_body(code, exc.reason), status=exc.status, headers=headers)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        body = error_body("internal", "internal error; it has been logged")
        return web.json_response(body, status=500)
