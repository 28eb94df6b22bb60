"""A Telegram Bot API emulator for local development and tests (no internet needed)."""

from bots.emulator.client import EmulatorClient
from bots.emulator.client_types import CallbackAnswer, EmulatorRequestError
from bots.emulator.errors import ApiError, EmulatorError
from bots.emulator.faults import Fault, Stats
from bots.emulator.limits import Limits, ManualClock, RateLimiter
from bots.emulator.models import CallbackRecord, Chat, StoredFile, StoredMessage, User
from bots.emulator.server import DEFAULT_TOKEN, EmulatorServer, build_app
from bots.emulator.state import Emulator

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "CallbackAnswer",
    "CallbackRecord",
    "Chat",
    "Emulator",
    "EmulatorClient",
    "EmulatorError",
    "EmulatorRequestError",
    "EmulatorServer",
    "Fault",
    "Limits",
    "ManualClock",
    "RateLimiter",
    "Stats",
    "StoredFile",
    "StoredMessage",
    "User",
    "build_app",
]
