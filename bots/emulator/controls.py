"""Blocking users and injecting faults into the emulated Bot API. Pure, no I/O."""

from __future__ import annotations

from bots.emulator.errors import EmulatorError
from bots.emulator.faults import Fault, FaultKind
from bots.emulator.store import Store


class Controls(Store):
    """Blocked chats (403 until unblocked) and scheduled faults (429, 5xx, delays)."""

    def is_blocked(self, chat_id: int, *, bot_id: int | None = None) -> bool:
        """Whether the user of this chat blocked the bot."""
        return (self.bot(bot_id).id, chat_id) in self.faults.blocked

    def block(self, chat_id: int, *, bot_id: int | None = None, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends answer 403 until unblocked."""
        bot = self.bot(bot_id)
        key = (bot.id, chat_id)
        if blocked == (key in self.faults.blocked):
            return
        if blocked:
            self.faults.blocked.add(key)
        else:
            self.faults.blocked.discard(key)
        chat = self.find_chat(bot.id, chat_id)
        if chat is not None and chat.peer is not None:
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            self.push_update(
                bot,
                "my_chat_member",
                {
                    "chat": chat.to_api(),
                    "from": chat.peer.to_api(),
                    "date": self.now(),
                    "old_chat_member": {
                        "status": old,
                        "user": bot.user().to_api(),
                        **({"until_date": 0} if old == "kicked" else {}),
                    },
                    "new_chat_member": {
                        "status": new,
                        "user": bot.user().to_api(),
                        **({"until_date": 0} if new == "kicked" else {}),
                    },
                },
            )
        self.touch()

    def unblock(self, chat_id: int, *, bot_id: int | None = None) -> None:
        """The user unblocks the bot."""
        self.block(chat_id, bot_id=bot_id, blocked=False)

    def inject_fault(
        self,
        kind: FaultKind,
        *,
        count: int = 1,
        method: str | None = None,
        chat_id: int | None = None,
        retry_after: int = 1,
        status: int = 500,
        delay: float = 1.0,
        bot_id: int | None = None,
    ) -> Fault:
        """Make the next `count` matching Bot API calls fail or lag (see Fault)."""
        if kind == "blocked":
            if chat_id is None:
                raise EmulatorError("blocked needs chat_id")
            self.block(chat_id, bot_id=bot_id)
            return Fault(kind, count=0, chat_id=chat_id)
        try:
            fault = self.faults.add(Fault(kind, count, method, chat_id, retry_after, status, delay))
        except ValueError as exc:
            raise EmulatorError(str(exc)) from None
        self.touch()
        return fault

    def clear_faults(self) -> None:
        """Drop pending faults (blocked chats stay blocked)."""
        self.faults.faults.clear()
        self.touch()
