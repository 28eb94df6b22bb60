"""A consumer's standing in its Redis consumer groups: create them, count deliveries,
dead-letter an entry, and forget the names of replicas that have stopped.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shared.bus.streams import DEAD_LETTER

log = logging.getLogger(__name__)

# Deletes, in one step, the group's consumers other than ARGV[2] that have nothing pending
# and have been idle ARGV[3] ms: a check and a delete apart could lose entries handed to
# the consumer in between (XGROUP DELCONSUMER drops its pending entries).
_FORGET_IDLE = """
local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['name'] ~= ARGV[2] and info['pending'] == 0 and info['idle'] >= tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed = removed + 1
  end
end
return removed
"""


class Membership:
    """One replica (``name``) of consumer group ``group`` on ``streams``."""

    def __init__(self, redis: Redis, group: str, name: str, streams: list[bytes]) -> None:
        self.redis, self.group, self.name, self.streams = redis, group, name, streams
        self._forget_idle = redis.register_script(_FORGET_IDLE)

    async def ensure_groups(self) -> None:
        """Create the consumer group on each stream (from its start) if it is missing."""
        for stream in self.streams:
            try:
                await self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def forget_idle(self, idle_ms: int) -> int:
        """Remove the group's other consumers idle ``idle_ms`` with nothing pending.

        Each restart of a replica joins under a new name; without this the names of every
        replica that ever ran would stay in the group forever.
        """
        removed = 0
        for stream in self.streams:
            removed += int(
                await self._forget_idle(keys=[stream], args=[self.group, self.name, idle_ms])
            )
        if removed:
            log.info("%s: removed %d idle consumers of stopped replicas", self.group, removed)
        return removed

    async def delivery_counts(self, stream: bytes, ids: list[bytes]) -> dict[bytes, int]:
        """How many times each of ``ids``, pending with this replica, has been delivered."""
        if not ids:
            return {}
        rows: Any = await self.redis.xpending_range(
            stream, self.group, min=ids[0], max=ids[-1], count=len(ids) * 4, consumername=self.name
        )
        return {row["message_id"]: int(row["times_delivered"]) for row in rows}

    async def ack_deleted(self, stream: bytes) -> None:
        """Ack this replica's pending entries that were trimmed from the stream.

        Redis 6.2 reclaims entries trimmed from the stream as empty ones.
        """
        rows = await self.redis.xpending_range(
            stream, self.group, min="-", max="+", count=1000, consumername=self.name
        )
        for row in rows:
            entry_id = row["message_id"]
            if not await self.redis.xrange(stream, min=entry_id, max=entry_id, count=1):
                await self.redis.xack(stream, self.group, entry_id)

    async def dead_letter(
        self,
        stream: bytes,
        entry_id: bytes,
        raw: bytes | None,
        reason: str,
        deliveries: int,
        maxlen: int,
    ) -> None:
        """Move an entry to the dead-letter stream with the reason, and ack it, in one step."""
        log.error("%s: dead-lettering %s %s: %s", self.group, stream, entry_id, reason)
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(
            DEAD_LETTER,
            {
                "stream": stream,
                "entry_id": entry_id,
                "group": self.group,
                "reason": reason,
                "deliveries": deliveries,
                "data": raw if raw is not None else b"",
            },
            maxlen=maxlen,
            approximate=True,
        )
        pipe.xack(stream, self.group, entry_id)
        await pipe.execute()
