"""The stock service's handlers: lock rows, call the core, save, emit; the view follows commits.

A handler may run twice (a batch rolled back and replayed one by one), so it touches
nothing but its unit of work; the Redis view is updated by after-commit actions. A
StockError (an illegal move) leaves the message pending, to be retried and in the end
dead-lettered with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Literal

from redis.asyncio import Redis

from services.stock import core
from services.stock.models import (
    K,
    StockLevel,
    StockRestock,
    add_reservation,
    add_reservations,
    find_reservation,
    find_reservations,
    held_touching,
    levels_of,
    lock_keys,
    lock_level_rows,
    lock_levels,
    reservation_keys,
    save_levels,
    save_reservation,
)
from services.stock.view import Entry, publish
from shared.bus.handling import BatchHandler, Context, Handler
from shared.db.uow import UnitOfWork
from shared.messages import Message
from shared.messages.stock import (
    CommitReservation,
    HoldReservation,
    ReleaseReservation,
    ReportStock,
    ReservationCommitted,
    ReservationReleased,
    ReserveStock,
    Restock,
    StockReserved,
    StockUnavailable,
)

log = logging.getLogger(__name__)

Source = Literal["api", "chat", "import", "decline"]
# Message ids are unbounded strings; the columns are not.
ID_LIMITS = {"request_id": 128, "order_id": 128, "dealer_id": 64}


def timer_key(request_id: str) -> str:
    """The durable timer that expires a reservation."""
    return f"stock:reservation:{request_id}"


def stock_batch_handlers(redis: Redis) -> dict[type[Message], BatchHandler]:
    """The stock service's handlers of a run of one message type in a batch."""
    return {ReserveStock: partial(reserve_stock_batch, redis=redis)}


def stock_handlers(redis: Redis) -> dict[type[Message], Handler]:
    """The handler table of the stock service; ``redis`` holds the availability view."""
    return {
        ReserveStock: partial(reserve_stock, redis=redis),
        HoldReservation: partial(hold_reservation, redis=redis),
        CommitReservation: partial(commit_reservation, redis=redis),
        ReleaseReservation: partial(release_reservation, redis=redis),
        ReportStock: partial(report_stock, redis=redis),
        Restock: partial(restock, redis=redis),
    }


async def lock_batch(uow: UnitOfWork, messages: Sequence[Message]) -> None:
    """Lock every level these messages' handlers will lock, in (dealer, SKU) order.

    The consumer's lock plan on PostgreSQL: a batch spans dealers, and handlers lock one
    dealer at a time, so without it two batches could each hold a dealer the other wants.
    """
    keys: set[tuple[str, str]] = set()
    create: set[tuple[str, str]] = set()
    by_request: list[str] = []
    for msg in messages:
        match msg:
            case ReserveStock():
                keys.update((msg.dealer_id, line.sku) for line in msg.lines)
            case Restock():
                create.update((msg.dealer_id, line.sku) for line in msg.lines)
            case ReportStock():
                skus = {count.sku for count in msg.counts}
                create.update((msg.dealer_id, sku) for sku in skus)
                held = await held_touching(uow.session, msg.dealer_id, skus)
                keys.update((msg.dealer_id, sku) for sku in _skus_of(held))
            case CommitReservation() | ReleaseReservation() | HoldReservation():
                by_request.append(msg.request_id)
    keys |= await reservation_keys(uow.session, by_request)
    # Over-long ids are refused by their handler; they name no level.
    keys = {key for key in keys if _fits(*key)}
    create = {key for key in create if _fits(*key)}
    await lock_keys(uow.session, keys, create=create, now=uow.clock.now())


async def reserve_stock(msg: ReserveStock, ctx: Context, redis: Redis) -> None:
    """Hold every line or none; answer StockReserved or StockUnavailable (again on a repeat)."""
    _check_ids(request_id=msg.request_id, order_id=msg.order_id, dealer_id=msg.dealer_id)
    session, now = ctx.uow.session, ctx.clock.now()
    rows = await lock_levels(session, msg.dealer_id, (line.sku for line in msg.lines))
    # Looked up under the level locks, so a concurrent twin of this request is seen.
    existing = await find_reservation(session, msg.request_id)
    levels = levels_of(rows)
    reservation = core.reserve(
        levels,
        request_id=msg.request_id,
        order_id=msg.order_id,
        dealer_id=msg.dealer_id,
        lines=[(line.sku, line.qty) for line in msg.lines],
        expires_at=msg.expires_at,
        now=now,
        existing=existing,
    )
    if existing is None:
        await add_reservation(session, reservation)
        await _save_levels(ctx.uow, redis, rows, levels)
        if reservation.state is core.State.HELD:
            expiry = ReleaseReservation(request_id=msg.request_id, reason=core.EXPIRED)
            ctx.uow.set_timer(timer_key(msg.request_id), msg.expires_at, expiry)
    ctx.uow.emit(answer(reservation))


async def reserve_stock_batch(items: Sequence[tuple[ReserveStock, Context]], redis: Redis) -> None:
    """``reserve_stock`` for a run of requests in a batch, with the effect of one after the
    other: the levels of them all locked in one statement, the known reservations read in
    one, then one insert of the new reservations, one of their lines, one update of the
    levels. Each request gets its own answer and, when held, its own expiry timer."""
    uow = items[0][1].uow
    for msg, _ in items:
        _check_ids(request_id=msg.request_id, order_id=msg.order_id, dealer_id=msg.dealer_id)
    keys = {(msg.dealer_id, line.sku) for msg, _ in items for line in msg.lines}
    rows = await lock_level_rows(uow.session, keys)
    # Looked up under the level locks, so a concurrent twin of a request is seen.
    known = await find_reservations(uow.session, [msg.request_id for msg, _ in items])
    levels = levels_of(rows)  # one Level for each (dealer, SKU), shared by the run
    made: list[core.Reservation] = []
    for msg, ctx in items:
        uow.caused_by = ctx.envelope
        mine = {
            line.sku: levels[msg.dealer_id, line.sku]
            for line in msg.lines
            if (msg.dealer_id, line.sku) in levels
        }
        reservation = core.reserve(
            mine, request_id=msg.request_id, order_id=msg.order_id, dealer_id=msg.dealer_id,
            lines=[(line.sku, line.qty) for line in msg.lines], expires_at=msg.expires_at,
            now=ctx.clock.now(), existing=known.get(msg.request_id),
        )  # fmt: skip
        if msg.request_id not in known:
            known[msg.request_id] = reservation
            made.append(reservation)
            if reservation.state is core.State.HELD:
                expiry = ReleaseReservation(request_id=msg.request_id, reason=core.EXPIRED)
                uow.set_timer(timer_key(msg.request_id), msg.expires_at, expiry)
        uow.emit(answer(reservation))
    await add_reservations(uow.session, made)
    await _save_levels(uow, redis, rows, levels)


async def hold_reservation(msg: HoldReservation, ctx: Context, redis: Redis) -> None:
    """Keep a reservation past its offer: move its expiry, or drop it (held until handover)."""
    found = await _lock_reservation(ctx.uow, msg.request_id)
    if found is None:
        raise core.StockError(f"no reservation {msg.request_id} to hold")
    reservation, rows = found
    levels = levels_of(rows)
    was_held = reservation.state is core.State.HELD
    if not core.hold(levels, reservation, msg.expires_at):
        return
    await save_reservation(ctx.uow.session, reservation)
    if not was_held:  # taken again after its expiry: the levels and the view change too
        await _save_levels(ctx.uow, redis, rows, levels)
    if msg.expires_at is None:
        await ctx.uow.cancel_timer(timer_key(msg.request_id))
    else:
        expiry = ReleaseReservation(request_id=msg.request_id, reason=core.EXPIRED)
        ctx.uow.set_timer(timer_key(msg.request_id), msg.expires_at, expiry)


async def commit_reservation(msg: CommitReservation, ctx: Context, redis: Redis) -> None:
    """Take the reserved units off hand and announce ReservationCommitted."""
    found = await _lock_reservation(ctx.uow, msg.request_id)
    if found is None:
        raise core.StockError(f"no reservation {msg.request_id} to commit")
    reservation, rows = found
    levels = levels_of(rows)
    if core.commit(levels, reservation, ctx.clock.now()):
        await _end(ctx.uow, redis, reservation, rows, levels)


async def release_reservation(msg: ReleaseReservation, ctx: Context, redis: Redis) -> None:
    """Give the reserved units back and announce ReservationReleased; stale expiries do nothing."""
    found = await _lock_reservation(ctx.uow, msg.request_id)
    if found is None:
        log.info("release of unknown reservation %s ignored", msg.request_id)
        return
    reservation, rows = found
    levels = levels_of(rows)
    if core.release(levels, reservation, msg.reason, ctx.clock.now()):
        await _end(ctx.uow, redis, reservation, rows, levels)


async def report_stock(msg: ReportStock, ctx: Context, redis: Redis) -> None:
    """Apply a dealer's count (a decline reports zeros); reservations that no longer fit end."""
    counts = {count.sku: count.on_hand for count in msg.counts}  # a repeated SKU: the last wins
    await apply_report(ctx.uow, redis, msg.dealer_id, counts, source=msg.source)


async def restock(msg: Restock, ctx: Context, redis: Redis) -> None:
    """Put returned goods back on hand at the receiving dealer, once per ``request_id``."""
    _check_ids(request_id=msg.request_id, order_id=msg.order_id, dealer_id=msg.dealer_id)
    session, now = ctx.uow.session, ctx.clock.now()
    skus = sorted({line.sku for line in msg.lines})
    rows = await lock_levels(session, msg.dealer_id, skus, create=skus, now=now)
    if await session.get(StockRestock, msg.request_id) is not None:
        return
    levels = levels_of(rows)
    core.restock(levels, [(line.sku, line.qty) for line in msg.lines])
    session.add(
        StockRestock(
            request_id=msg.request_id, order_id=msg.order_id, dealer_id=msg.dealer_id,
            created_at=now,
        )
    )  # fmt: skip
    await _save_levels(ctx.uow, redis, rows, levels)


async def apply_report(
    uow: UnitOfWork, redis: Redis, dealer_id: str, counts: Mapping[str, int], *, source: Source
) -> dict[str, StockLevel]:
    """Replace on-hand of ``counts`` at a dealer in ``uow``; returns the counted levels' rows.

    Shared by the ReportStock handler, the HTTP API and the CSV import.
    """
    _check_ids(dealer_id=dealer_id)
    session, now = uow.session, uow.clock.now()
    # A first, unlocked look finds the other SKUs of reservations this count may end, so
    # that every level is locked in one SKU-ordered pass.
    first = await held_touching(session, dealer_id, counts)
    rows = await lock_levels(session, dealer_id, _skus_of(first), create=counts, now=now)
    held = await held_touching(session, dealer_id, counts, lock=True)
    late = set(_skus_of(held)) - rows.keys()
    if late:  # a reservation made between the look and the locks; rare
        rows.update(await lock_levels(session, dealer_id, late))
    levels = levels_of(rows)
    released = core.report(levels, held, counts, now)
    for reservation in released:
        await save_reservation(session, reservation)
        await uow.cancel_timer(timer_key(reservation.request_id))
        uow.emit(answer(reservation))
    if released:
        log.info(
            "a count (%s) at %s released %s",
            source, dealer_id, ", ".join(r.request_id for r in released),
        )  # fmt: skip
    await _save_levels(uow, redis, rows, levels)
    return {sku: rows[sku] for sku in counts}


def answer(reservation: core.Reservation) -> Message:
    """The event that tells a requester where its reservation stands."""
    ids = {
        "request_id": reservation.request_id,
        "order_id": reservation.order_id,
        "dealer_id": reservation.dealer_id,
    }
    match reservation.state:
        case core.State.HELD:
            return StockReserved(**ids)
        case core.State.REFUSED:
            return StockUnavailable(**ids, short=list(reservation.short))
        case core.State.COMMITTED:
            return ReservationCommitted(**ids)
        case core.State.RELEASED:
            return ReservationReleased(**ids, reason=reservation.reason or "released")


async def _lock_reservation(
    uow: UnitOfWork, request_id: str
) -> tuple[core.Reservation, dict[str, StockLevel]] | None:
    # Levels before the reservation, the order every handler locks in; its lines never
    # change, so the unlocked first read names the right levels.
    first = await find_reservation(uow.session, request_id)
    if first is None:
        return None
    rows = await lock_levels(uow.session, first.dealer_id, first.skus)
    reservation = await find_reservation(uow.session, request_id, lock=True)
    assert reservation is not None  # reservations are never deleted
    return reservation, rows


async def _end(
    uow: UnitOfWork,
    redis: Redis,
    reservation: core.Reservation,
    rows: Mapping[str, StockLevel],
    levels: Mapping[str, core.Level],
) -> None:
    # A reservation that was just committed or released: save, stop its timer, announce.
    await save_reservation(uow.session, reservation)
    await _save_levels(uow, redis, rows, levels)
    await uow.cancel_timer(timer_key(reservation.request_id))
    uow.emit(answer(reservation))


async def _save_levels(
    uow: UnitOfWork,
    redis: Redis,
    rows: Mapping[K, StockLevel],
    levels: Mapping[K, core.Level],
) -> None:
    # The view follows each dealer's changed levels once the transaction has committed.
    by_dealer: dict[str, list[Entry]] = {}
    for row in await save_levels(uow.session, rows, levels, uow.clock.now()):
        by_dealer.setdefault(row.dealer_id, []).append(Entry.of(row))
    for dealer_id, changed in by_dealer.items():
        uow.after_commit(partial(publish, redis, dealer_id, changed))


def _skus_of(reservations: Iterable[core.Reservation]) -> list[str]:
    return sorted({sku for r in reservations for sku in r.skus})


def _fits(dealer_id: str, _sku: str) -> bool:
    return 0 < len(dealer_id) <= ID_LIMITS["dealer_id"]


def _check_ids(**ids: str) -> None:
    for name, value in ids.items():
        limit = ID_LIMITS[name]
        if not 0 < len(value) <= limit:
            raise core.StockError(f"{name} must be 1 to {limit} characters")
