"""Messages the broadcasts fan-out sends itself, so a crash between chunks resumes."""

from __future__ import annotations

from shared.messages.envelope import Message
from shared.messages.registry import message


@message("broadcasts.ContinueBroadcast", stream="bot")
class ContinueBroadcast(Message):
    """Queue the next chunk of a broadcast's messages (emitted with the previous chunk)."""

    broadcast_id: str
