"""A consumer-group reader: at-least-once delivery, exactly-once effect through the inbox.

Each message is applied in one unit of work that also marks it in the inbox; the entry is
XACKed only after that commits. A failed message stays pending and is retried with
back-off; after ``max_deliveries`` it moves to the dead-letter stream and the group keeps
flowing. Messages a dead replica left pending are taken over with XAUTOCLAIM.

On PostgreSQL a service whose handlers lock rows gives a lock plan: it takes every lock
a batch will need, in one global order, before the batch runs, so two replicas applying
batches wait for each other instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.bus.apply import Unit, Work, apply_batch, apply_one
from shared.bus.handling import BatchHandler, Handler, LockPlan
from shared.bus.membership import Membership
from shared.bus.retries import Retries
from shared.bus.streams import FIELD, stream_key
from shared.clock import Clock
from shared.db.engine import Database, is_deadlock
from shared.messages import REGISTRY, BadMessage, Envelope, Message, Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerOptions:
    """How a consumer retries, reclaims and blocks."""

    max_deliveries: int = 5
    claim_idle_ms: int = 30_000
    retry_base_ms: int = 200
    block_ms: int = 2_000
    batch: int = 32
    dead_letter_maxlen: int = 100_000
    # A replica restarts under a new name; names idle this long with nothing pending go.
    forget_idle_ms: int = 3_600_000


@dataclass
class ConsumerStats:
    """Counters for /metrics and tests."""

    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    failures: int = 0
    dead_lettered: int = 0
    reclaimed: int = 0
    deadlocks: int = 0  # transactions the database aborted to break a deadlock


def consumer_name(group: str) -> str:
    """A name unique to this replica of ``group``."""
    return f"{group}:{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


class Consumer:
    """Reads one service's streams as a consumer group and runs its handler table."""

    def __init__(
        self,
        *,
        group: str,
        handlers: Mapping[type[Message], Handler],
        redis: Redis,
        reader: Redis,
        db: Database,
        clock: Clock,
        options: ConsumerOptions | None = None,
        registry: Registry = REGISTRY,
        name: str | None = None,
        lock_plan: LockPlan | None = None,
        batch_handlers: Mapping[type[Message], BatchHandler] | None = None,
    ) -> None:
        if not handlers:
            raise ValueError(f"consumer group {group!r} has no handlers")
        self.group = group
        self.name = name or consumer_name(group)
        self.handlers = dict(handlers)
        self.redis = redis
        self.reader = reader  # its own connection: XREADGROUP BLOCK may outlast a socket timeout
        self.db = db
        self.clock = clock
        self.options = options or ConsumerOptions()
        self.registry = registry
        # SQLite has one writer at a time: nothing can wait in a circle, nothing to order.
        self.lock_plan = None if db.is_sqlite else lock_plan
        self.unit = Unit(db, clock, group, self.lock_plan, dict(batch_handlers or {}))
        self.streams = sorted({stream_key(cls.STREAM).encode() for cls in handlers})
        self.stats = ConsumerStats()
        # Back-off doubles each time, capped below the idle time at which others may claim it.
        self.retries = Retries(self.options.retry_base_ms, self.options.claim_idle_ms // 2)
        self._next_reclaim = 0.0
        self.membership = Membership(redis, group, self.name, self.streams)

    async def ensure_groups(self) -> None:
        """Create the consumer group on each stream (from its start) if it is missing."""
        await self.membership.ensure_groups()

    async def forget_idle_consumers(self) -> int:
        """Remove the group's other consumers idle past ``forget_idle_ms`` with nothing pending."""
        return await self.membership.forget_idle(self.options.forget_idle_ms)

    async def _dead_letter(
        self, stream: bytes, entry_id: bytes, raw: bytes | None, reason: str, deliveries: int
    ) -> None:
        self.stats.dead_lettered += 1
        await self.membership.dead_letter(
            stream, entry_id, raw, reason, deliveries, self.options.dead_letter_maxlen
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, finishing the message in hand."""
        await self.ensure_groups()
        loop = asyncio.get_running_loop()
        self._next_reclaim = loop.time()
        failures = 0
        while not stop.is_set():
            try:
                await self._step(stop)
                failures = 0
            except (RedisError, OSError) as exc:
                failures += 1
                delay = min(5.0, 0.1 * 2**failures)
                log.warning("%s: Redis unavailable (%s); retrying in %.1fs", self.name, exc, delay)
                await _wait(stop, delay)

    async def _step(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        await self._run_due_retries(stop)
        if stop.is_set():
            return
        if loop.time() >= self._next_reclaim:
            self._next_reclaim = loop.time() + self.options.claim_idle_ms / 2000
            await self.reclaim(stop)
            await self.forget_idle_consumers()
        block = self.options.block_ms
        next_retry = self.retries.next_due()
        if next_retry is not None:
            block = max(1, min(block, int((next_retry - loop.time()) * 1000)))
        read = asyncio.ensure_future(
            self.reader.xreadgroup(
                self.group,
                self.name,
                dict.fromkeys(self.streams, ">"),
                count=self.options.batch,
                block=block,
            )
        )
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if read not in done:
            # Entries delivered in this instant stay pending and are reclaimed later.
            read.cancel()
            await asyncio.gather(read, return_exceptions=True)
            await self.reader.connection_pool.disconnect()
            return
        stopped.cancel()
        reply: Any = read.result()
        for stream, entries in reply or []:
            await self.process_batch(stream, entries)

    async def process_batch(
        self, stream: bytes, entries: list[tuple[bytes, dict[bytes, bytes] | None]]
    ) -> None:
        """Apply new entries in one transaction; if any handler fails, apply them one by one.

        Committing a batch once instead of once per message is what makes the bus fast;
        falling back to single messages keeps one failure from holding back the others.
        """
        work: list[Work] = []
        for entry_id, fields in entries:
            item = await self._read(stream, entry_id, fields, deliveries=1)
            if item is not None:
                work.append(item)
        if len(work) > 1:
            try:
                applied, duplicates = await apply_batch(self.unit, work)
            except Exception as exc:
                self._count_deadlock(exc)
                log.info(
                    "%s: batch of %d failed (%r); applying one by one", self.group, len(work), exc
                )
            else:
                self.stats.applied += applied
                self.stats.duplicates += duplicates
                await self.redis.xack(stream, self.group, *(item.entry_id for item in work))
                return
        for item in work:
            await self._run(item)

    async def process(
        self, stream: bytes, entry_id: bytes, fields: dict[bytes, bytes] | None, deliveries: int
    ) -> None:
        """Apply one stream entry, then ack, retry or dead-letter it."""
        item = await self._read(stream, entry_id, fields, deliveries)
        if item is not None:
            await self._run(item)

    async def _read(
        self, stream: bytes, entry_id: bytes, fields: dict[bytes, bytes] | None, deliveries: int
    ) -> Work | None:
        # The entry as work for a handler, or None once it was dead-lettered or skipped.
        raw = (fields or {}).get(FIELD.encode())
        try:
            if raw is None:
                raise BadMessage("stream entry has no envelope field")
            envelope = Envelope.decode(raw)
            message = self.registry.resolve(envelope)
        except BadMessage as exc:
            await self._dead_letter(stream, entry_id, raw, str(exc), deliveries)
            return None
        handler = self.handlers.get(type(message))
        if handler is None:  # another service's message on a shared stream
            self.stats.skipped += 1
            await self.redis.xack(stream, self.group, entry_id)
            return None
        if deliveries > self.options.max_deliveries:
            reason = f"delivered {deliveries} times without success"
            await self._dead_letter(stream, entry_id, raw, reason, deliveries)
            return None
        return Work(stream, entry_id, raw, envelope, message, handler, deliveries)

    async def _run(self, item: Work) -> None:
        try:
            applied = await apply_one(self.unit, item)
        except Exception as exc:
            self.stats.failures += 1
            self._count_deadlock(exc)
            log.warning(
                "%s: %s %s failed (delivery %d): %r",
                self.group, item.envelope.name, item.envelope.id, item.deliveries, exc,
            )  # fmt: skip
            if item.deliveries >= self.options.max_deliveries:
                reason = f"handler failed {item.deliveries} times; last error: {exc!r}"
                await self._dead_letter(
                    item.stream, item.entry_id, item.raw, reason[:2000], item.deliveries
                )
            else:
                self.retries.schedule(item.stream, item.entry_id, item.deliveries)
            return
        if applied:
            self.stats.applied += 1
        else:
            self.stats.duplicates += 1
        await self.redis.xack(item.stream, self.group, item.entry_id)

    def _count_deadlock(self, exc: BaseException) -> None:
        if is_deadlock(exc):
            self.stats.deadlocks += 1
            log.warning("%s: the database broke a deadlock: %s", self.group, exc)

    async def _run_due_retries(self, stop: asyncio.Event) -> None:
        now = asyncio.get_running_loop().time()
        for retry in self.retries.due(now):
            if stop.is_set():
                self.retries.put_back(retry)
                break
            # XCLAIM to ourselves counts the new delivery in Redis and returns the entry.
            claimed: Any = await self.redis.xclaim(
                retry.stream, self.group, self.name, min_idle_time=0, message_ids=[retry.entry_id]
            )
            if not claimed or claimed[0][0] is None:
                await self.redis.xack(retry.stream, self.group, retry.entry_id)
                continue
            await self.process(retry.stream, retry.entry_id, claimed[0][1], retry.deliveries + 1)

    async def reclaim(self, stop: asyncio.Event) -> int:
        """Take over and apply entries idle past ``claim_idle_ms``: a dead replica's."""
        total = 0
        for stream in self.streams:
            start: bytes | str = "0-0"
            while not stop.is_set():
                reply: Any = await self.redis.xautoclaim(
                    stream,
                    self.group,
                    self.name,
                    min_idle_time=self.options.claim_idle_ms,
                    start_id=start,
                    count=self.options.batch,
                )
                start, entries = reply[0], reply[1]
                live = [(i, f) for i, f in entries if i is not None]
                if len(live) < len(entries):
                    await self.membership.ack_deleted(stream)
                counts = await self.membership.delivery_counts(stream, [i for i, _ in live])
                for entry_id, fields in live:
                    if entry_id in self.retries or stop.is_set():
                        continue
                    total += 1
                    self.stats.reclaimed += 1
                    await self.process(stream, entry_id, fields, counts.get(entry_id, 1))
                if start in (b"0-0", "0-0"):
                    break
        return total


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
