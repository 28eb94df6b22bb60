"""Typed messages: the envelope, the registry and every command and event."""

from shared.messages import bot, broadcasts, orders, settlement, stock, system
from shared.messages.envelope import BadMessage, Envelope, Message, new_id
from shared.messages.registry import REGISTRY, Registry, message

__all__ = [
    "REGISTRY",
    "BadMessage",
    "Envelope",
    "Message",
    "Registry",
    "bot",
    "broadcasts",
    "message",
    "new_id",
    "orders",
    "settlement",
    "stock",
    "system",
]
