"""The registry of message types: a name and version resolve to one payload class."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from shared.messages.envelope import BadMessage, Envelope, _summary

# Message modules take the base class from here with the decorator (``message``).
from shared.messages.envelope import Message as Message

# Message is re-exported: each message module imports it here with the ``message`` decorator.
__all__ = ["REGISTRY", "Message", "Registry", "message"]

M = TypeVar("M", bound=type[Message])


class Registry:
    """Message classes by ``(name, version)``."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, int], type[Message]] = {}

    def add(self, cls: type[Message]) -> None:
        """Register ``cls`` under its NAME and VERSION."""
        key = (cls.NAME, cls.VERSION)
        known = self._types.get(key)
        if known is not None and known is not cls:
            raise ValueError(f"message {cls.NAME} v{cls.VERSION} is registered twice")
        self._types[key] = cls

    def get(self, name: str, version: int) -> type[Message] | None:
        """The class for ``name`` and ``version``, or None."""
        return self._types.get((name, version))

    def resolve(self, envelope: Envelope) -> Message:
        """The typed payload of ``envelope``, or BadMessage saying why it cannot be read."""
        cls = self.get(envelope.name, envelope.version)
        if cls is None:
            raise BadMessage(f"unknown message {envelope.name} v{envelope.version}")
        try:
            return cls.model_validate(envelope.payload)
        except ValidationError as exc:
            raise BadMessage(f"bad {envelope.name} payload: {_summary(exc)}") from None


REGISTRY = Registry()


def message(name: str, *, stream: str, version: int = 1) -> Callable[[M], M]:
    """Class decorator: name a message, give it its stream (topic) and register it."""

    def register(cls: M) -> M:
        cls.NAME = name
        cls.VERSION = version
        cls.STREAM = stream
        REGISTRY.add(cls)
        return cls

    return register
