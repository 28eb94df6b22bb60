"""The envelope every message travels in, and the base class of message payloads."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.clock import Clock


class BadMessage(ValueError):
    """A message that cannot be read: it goes to the dead-letter stream with this reason."""


class Message(BaseModel):
    """A command (a verb) or an event (past tense) with a name and a version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    NAME: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    STREAM: ClassVar[str] = ""


def new_id() -> str:
    """A fresh, unique message id."""
    return uuid.uuid4().hex


class Envelope(BaseModel):
    """What goes on the wire: the payload with its identity, type and lineage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    version: int = Field(ge=1)
    time: datetime
    correlation_id: str = Field(min_length=1, max_length=64)
    causation_id: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any]

    @classmethod
    def wrap(cls, message: Message, clock: Clock, caused_by: Envelope | None = None) -> Envelope:
        """Put ``message`` in a new envelope; a message caused by another keeps its correlation."""
        if not message.NAME:
            raise TypeError(f"{type(message).__name__} is not a registered message")
        message_id = new_id()
        return cls(
            id=message_id,
            name=message.NAME,
            version=message.VERSION,
            time=clock.now(),
            correlation_id=caused_by.correlation_id if caused_by else message_id,
            causation_id=caused_by.id if caused_by else None,
            payload=message.model_dump(mode="json"),
        )

    def encode(self) -> str:
        """The envelope as compact JSON."""
        return self.model_dump_json()

    @classmethod
    def decode(cls, raw: str | bytes) -> Envelope:
        """Parse JSON from the wire, or raise BadMessage saying what is wrong."""
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadMessage(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadMessage("envelope is not a JSON object")
        try:
            envelope = cls.model_validate(data)
        except ValidationError as exc:
            raise BadMessage(f"bad envelope: {_summary(exc)}") from None
        if envelope.time.tzinfo is None:
            raise BadMessage("bad envelope: time has no timezone")
        return envelope


def _summary(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )
