"""The availability view in Redis: what routing reads, a cache rebuilt from the tables at will.

Per dealer, three hashes keyed by SKU: ``avail`` (on_hand − reserved), ``ver`` (the level's
version) and ``reported`` (unix seconds of the last count). Updates come after commits,
which replicas may finish in any order, so a script writes a SKU only when its version is
newer than the one stored: a late update never overwrites a fresher one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import and_, or_
from sqlmodel import col, select

from services.stock.models import StockLevel
from shared.db.engine import Database

PREFIX = "baton:stock:"

# Both scripts take KEYS = avail, ver, reported and ARGV = (sku, version, available,
# reported or "") repeated.
_PUBLISH = """
for i = 1, #ARGV, 4 do
  local seen = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '-1')
  if tonumber(ARGV[i + 1]) > seen then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    if ARGV[i + 3] ~= '' then redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 3]) end
  end
end
"""
_REPLACE = """
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
for i = 1, #ARGV, 4 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  if ARGV[i + 3] ~= '' then redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 3]) end
end
"""


def _key(kind: str, dealer_id: str) -> str:
    # The braces are a hash tag: a dealer's keys share one Redis Cluster slot, so the
    # scripts above, which touch all three, also run on a cluster.
    return f"{PREFIX}{kind}:{{{dealer_id}}}"


def avail_key(dealer_id: str) -> str:
    """The hash of SKU → units available at ``dealer_id``."""
    return _key("avail", dealer_id)


def reported_key(dealer_id: str) -> str:
    """The hash of SKU → unix seconds of the dealer's last count."""
    return _key("reported", dealer_id)


def _keys(dealer_id: str) -> list[str]:
    return [avail_key(dealer_id), _key("ver", dealer_id), reported_key(dealer_id)]


@dataclass(frozen=True)
class Entry:
    """One level as the view shows it."""

    sku: str
    version: int
    available: int
    reported_at: datetime | None

    @classmethod
    def of(cls, row: StockLevel) -> Entry:
        """The view entry of a level row."""
        return cls(row.sku, row.version, row.on_hand - row.reserved, row.reported_at)


def _args(entries: Iterable[Entry]) -> list[str | int]:
    args: list[str | int] = []
    for e in entries:
        reported = str(int(e.reported_at.timestamp())) if e.reported_at is not None else ""
        args += [e.sku, e.version, e.available, reported]
    return args


async def publish(redis: Redis, dealer_id: str, entries: Sequence[Entry]) -> None:
    """Show these levels of ``dealer_id``, each unless the view already has a newer version."""
    if entries:
        script = redis.register_script(_PUBLISH)
        await script(keys=_keys(dealer_id), args=_args(entries))


async def availability(
    redis: Redis, dealer_ids: Sequence[str], skus: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Units available of each SKU at each dealer (0 where unknown), in one round trip."""
    if not dealer_ids or not skus:
        return {dealer: dict.fromkeys(skus, 0) for dealer in dealer_ids}
    pipe = redis.pipeline(transaction=False)
    for dealer in dealer_ids:
        pipe.hmget(avail_key(dealer), list(skus))
    replies: list[list[Any]] = await pipe.execute()
    return {
        dealer: {sku: int(v) if v is not None else 0 for sku, v in zip(skus, reply, strict=True)}
        for dealer, reply in zip(dealer_ids, replies, strict=True)
    }


async def reported_times(
    redis: Redis, dealer_ids: Sequence[str], skus: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Unix seconds of each dealer's last count of each SKU; SKUs never counted are left out."""
    if not dealer_ids or not skus:
        return {dealer: {} for dealer in dealer_ids}
    pipe = redis.pipeline(transaction=False)
    for dealer in dealer_ids:
        pipe.hmget(reported_key(dealer), list(skus))
    replies: list[list[Any]] = await pipe.execute()
    return {
        dealer: {sku: int(v) for sku, v in zip(skus, reply, strict=True) if v is not None}
        for dealer, reply in zip(dealer_ids, replies, strict=True)
    }


async def rebuild(db: Database, redis: Redis, *, page: int = 5_000) -> int:
    """Replace the whole view with what the tables say; returns how many levels it shows.

    Each dealer's hashes are replaced in one script, so a reader never sees them half
    written; dealers the tables no longer know are removed. An update committed while it
    runs may be overwritten by an older value until that level changes again, so it is
    meant for a service's start.
    """
    script = redis.register_script(_REPLACE)
    seen: set[str] = set()
    dealer: str | None = None
    entries: list[Entry] = []
    total = 0
    async for rows in _pages(db, page):
        pipe = redis.pipeline(transaction=False)
        for row in rows:
            if row.dealer_id != dealer:
                if dealer is not None:
                    await script(keys=_keys(dealer), args=_args(entries), client=pipe)
                dealer, entries = row.dealer_id, []
                seen.add(dealer)
            entries.append(Entry.of(row))
            total += 1
        await pipe.execute()
    if dealer is not None:
        await script(keys=_keys(dealer), args=_args(entries))
    await _drop_unknown(redis, seen)
    return total


async def _pages(db: Database, page: int) -> Any:
    # Keyset pages in (dealer, sku) order: no long read transaction over a big table.
    after: tuple[str, str] | None = None
    while True:
        query = select(StockLevel).order_by(col(StockLevel.dealer_id), col(StockLevel.sku))
        if after is not None:
            query = query.where(
                or_(
                    col(StockLevel.dealer_id) > after[0],
                    and_(col(StockLevel.dealer_id) == after[0], col(StockLevel.sku) > after[1]),
                )
            )
        async with db.read() as session:
            rows = list((await session.exec(query.limit(page))).all())
        if not rows:
            return
        yield rows
        after = (rows[-1].dealer_id, rows[-1].sku)


async def _drop_unknown(redis: Redis, known: set[str]) -> None:
    stale: list[bytes | str] = []
    async for key in redis.scan_iter(match=f"{PREFIX}*{{*}}", count=1000):
        text = key.decode() if isinstance(key, bytes) else key
        if text[text.index("{") + 1 : -1] not in known:
            stale.append(key)
    for start in range(0, len(stale), 500):
        await redis.delete(*stale[start : start + 500])
