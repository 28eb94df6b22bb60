"""Bot API request parameters: query string, form, multipart or JSON body, typed access."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bots.emulator.errors import ApiError, bad_request

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content: bytes
    content_type: str | None


class Params:
    """Parameters as sent; non-string values arrive JSON-encoded in forms and are decoded lazily."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        """Read query params plus a form, multipart or JSON body."""
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON request body must be an object")
                values.update(body)
            elif request.content_type in _FORM_TYPES:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        uploads[key] = Upload(value.filename, data, value.content_type)
                    else:
                        values[key] = value
        return cls(values, uploads)

    def has(self, name: str) -> bool:
        """Whether the parameter was sent."""
        return name in self.values or name in self.uploads

    def text(self, name: str) -> str | None:
        """A string parameter."""
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter; 400 if it is not a number."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str, default: float | None = None) -> float | None:
        """A float parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def boolean(self, name: str, default: bool = False) -> bool:
        """A boolean parameter ('true'/'false'/'1'/'0' or JSON)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes")

    def json(self, name: str, error: str | None = None) -> Any:
        """A JSON-valued parameter (object/array), decoded if it came as a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def upload(self, name: str) -> Upload | None:
        """The uploaded file for `name` (directly or through an attach://part reference)."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            part = self.uploads.get(value[len("attach://") :])
            if part is None:
                raise bad_request(f"file {value} not found in the request")
            return part
        return None

    def chat_id(self) -> int:
        """The chat_id parameter; 400 'chat_id is empty' / 'chat not found'."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        chat_id = self.peek_chat_id()
        if chat_id is None:
            raise bad_request("chat not found")
        return chat_id

    def peek_chat_id(self) -> int | None:
        """The chat_id if it is a number, without raising."""
        value = self.values.get("chat_id")
        if isinstance(value, bool):
            return None
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def require_int(self, name: str, missing: str) -> int:
        """An integer parameter that must be present; 400 `missing` otherwise."""
        value = self.integer(name)
        if value is None:
            raise ApiError(400, f"Bad Request: {missing}")
        return value
