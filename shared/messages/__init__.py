"""Typed messages: the envelope, the registry and every command and event."""

from shared.messages import bot, orders, stock, system
from shared.messages.envelope import BadMessage, Envelope, Message, new_id
from shared.messages.registry import REGISTRY, Registry, message

__all__ = [
    "REGISTRY",
    "BadMessage",
    "Envelope",
    "Message",
    "Registry",
    "bot",
    "message",
    "new_id",
    "orders",
    "stock",
    "system",
]
