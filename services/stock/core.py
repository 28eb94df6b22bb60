"""Stock at one dealer: levels, reservations and every legal move between them, with no I/O.

Invariants, kept by every function here: on_hand ≥ 0, 0 ≤ reserved ≤ on_hand, and a
level's reserved is the sum of its held reservations, so a unit is never promised twice.

Commands may arrive twice or late, so the moves follow one rule: asking for a state the
reservation is already in, or is past in the same direction, is a no-op (a second commit, a
release of a released reservation, an expiry timer that fires after a hold or a commit);
asking to go back (commit or hold a released reservation, release a committed one) is a
StockError, and nothing was changed when it is raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

EXPIRED = "expired"
REPORTED_SHORT = "stock_reported_short"


class StockError(Exception):
    """An illegal move; the state is exactly as it was before the call."""


class State(StrEnum):
    """Where a reservation is in its life."""

    HELD = "held"
    COMMITTED = "committed"
    RELEASED = "released"
    REFUSED = "refused"  # the request could not be met; kept so a repeat gets the same answer


@dataclass
class Level:
    """One SKU at one dealer."""

    on_hand: int = 0
    reserved: int = 0
    reported_at: datetime | None = None

    @property
    def available(self) -> int:
        """Units that can still be promised."""
        return self.on_hand - self.reserved


@dataclass(frozen=True, order=True)
class Line:
    """A quantity of one SKU."""

    sku: str
    qty: int


@dataclass
class Reservation:
    """Units of one or more SKUs held at a dealer for an order."""

    request_id: str
    order_id: str
    dealer_id: str
    lines: tuple[Line, ...]
    state: State
    created_at: datetime
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    short: tuple[str, ...] = field(default=())

    @property
    def skus(self) -> list[str]:
        """The SKUs of its lines, sorted."""
        return [line.sku for line in self.lines]


Levels = MutableMapping[str, Level]


def merge_lines(lines: Iterable[tuple[str, int]]) -> tuple[Line, ...]:
    """Lines summed by SKU and sorted, so the same request always has the same lines."""
    totals: dict[str, int] = {}
    for sku, qty in lines:
        if qty <= 0:
            raise StockError(f"quantity of {sku} must be positive, not {qty}")
        totals[sku] = totals.get(sku, 0) + qty
    if not totals:
        raise StockError("a request needs at least one line")
    return tuple(Line(sku, qty) for sku, qty in sorted(totals.items()))


def reserve(
    levels: Mapping[str, Level],
    *,
    request_id: str,
    order_id: str,
    dealer_id: str,
    lines: Iterable[tuple[str, int]],
    expires_at: datetime | None,
    now: datetime,
    existing: Reservation | None = None,
) -> Reservation:
    """Hold every line or none; a known ``request_id`` gets its reservation back unchanged."""
    wanted = merge_lines(lines)
    if existing is not None:
        if (existing.order_id, existing.dealer_id, existing.lines) != (order_id, dealer_id, wanted):
            raise StockError(f"request {request_id} already names a different reservation")
        return existing
    short = tuple(line.sku for line in wanted if _available(levels, line.sku) < line.qty)
    if short:
        return Reservation(
            request_id, order_id, dealer_id, wanted, State.REFUSED, now, ended_at=now, short=short
        )
    for line in wanted:
        levels[line.sku].reserved += line.qty
    return Reservation(request_id, order_id, dealer_id, wanted, State.HELD, now, expires_at)


def hold(
    levels: Mapping[str, Level], reservation: Reservation, expires_at: datetime | None
) -> bool:
    """Keep a reservation until ``expires_at`` (None: until handover); True if it changed.

    Messages from replicas can arrive out of order, so a hold may land after the
    reservation ended. Ended by a cancel or a decline, the hold is stale: nothing to keep.
    Ended by its safety-net expiry, the offer was accepted after all: the units are taken
    again if they are still there (StockError if another order has them now).
    """
    if reservation.state is State.COMMITTED:
        return False  # the goods already left: there is nothing more to keep
    if reservation.state is State.RELEASED and reservation.reason != EXPIRED:
        return False  # the order moved on (cancelled, declined) after the accept was sent
    if reservation.state is State.RELEASED:
        short = [ln.sku for ln in reservation.lines if _available(levels, ln.sku) < ln.qty]
        if short:
            raise StockError(
                f"cannot hold {reservation.request_id}: it expired and {', '.join(short)} "
                "went to other orders"
            )
        for line in reservation.lines:
            levels[line.sku].reserved += line.qty
        reservation.state, reservation.reason, reservation.ended_at = State.HELD, None, None
    elif reservation.state is not State.HELD:
        raise StockError(f"cannot hold {reservation.request_id}: it is {reservation.state}")
    reservation.expires_at = expires_at
    return True


def commit(levels: Levels, reservation: Reservation, now: datetime) -> bool:
    """Take the reserved units off hand; True if this call did it."""
    if reservation.state is State.COMMITTED:
        return False
    if reservation.state is not State.HELD:
        raise StockError(f"cannot commit {reservation.request_id}: it is {reservation.state}")
    _check_held(levels, reservation, on_hand=True)
    for line in reservation.lines:
        level = levels[line.sku]
        level.on_hand -= line.qty
        level.reserved -= line.qty
    reservation.state = State.COMMITTED
    reservation.ended_at = now
    return True


def release(levels: Levels, reservation: Reservation, reason: str, now: datetime) -> bool:
    """Give the reserved units back; True if this call did it.

    An expiry is ignored when the reservation was held past it or already ended: its timer
    may fire while the hold or commit that cancelled it is still on its way.
    """
    if reservation.state in (State.RELEASED, State.REFUSED):
        return False
    if reason == EXPIRED and (
        reservation.state is not State.HELD
        or reservation.expires_at is None
        or reservation.expires_at > now
    ):
        return False
    if reservation.state is State.COMMITTED:
        raise StockError(f"cannot release {reservation.request_id}: it was handed over")
    _check_held(levels, reservation)
    for line in reservation.lines:
        levels[line.sku].reserved -= line.qty
    reservation.state = State.RELEASED
    reservation.reason = reason
    reservation.ended_at = now
    return True


def report(
    levels: Levels, held: Iterable[Reservation], counts: Mapping[str, int], now: datetime
) -> list[Reservation]:
    """Replace on_hand with a dealer's counts; release the newest reservations that no longer fit.

    ``held`` must include every held reservation with a line on a counted SKU, and
    ``levels`` every SKU of those reservations. Returns the reservations released.
    """
    candidates = [r for r in held if r.state is State.HELD]
    _check_report(levels, candidates, counts)
    for sku, count in counts.items():
        level = levels.setdefault(sku, Level())
        level.on_hand = count
        level.reported_at = now
    # Newest first: older orders were promised first and keep their units.
    candidates.sort(key=lambda r: (r.created_at, r.request_id), reverse=True)
    released: list[Reservation] = []
    for sku in sorted(counts):
        level = levels[sku]
        for r in candidates:
            if level.reserved <= level.on_hand:
                break
            if r.state is State.HELD and sku in r.skus:
                release(levels, r, REPORTED_SHORT, now)
                released.append(r)
    return released


def _check_report(
    levels: Mapping[str, Level], candidates: list[Reservation], counts: Mapping[str, int]
) -> None:
    # Raises StockError, changing nothing, for a count the levels and reservations cannot take.
    for sku, count in counts.items():
        if count < 0:
            raise StockError(f"a count cannot be negative ({sku}: {count})")
    for r in candidates:
        _check_held(levels, r)
    for sku, count in counts.items():
        # Releasing every candidate must be able to make the count fit, or ``held`` is partial.
        unaccounted = _reserved(levels, sku) - sum(
            line.qty for r in candidates for line in r.lines if line.sku == sku
        )
        if unaccounted > count:
            raise StockError(f"{unaccounted} reserved units of {sku} belong to no reservation")


def restock(levels: Levels, lines: Iterable[tuple[str, int]]) -> None:
    """Put returned units back on hand."""
    for line in merge_lines(lines):
        levels.setdefault(line.sku, Level()).on_hand += line.qty


def _available(levels: Mapping[str, Level], sku: str) -> int:
    level = levels.get(sku)
    return level.available if level is not None else 0


def _reserved(levels: Mapping[str, Level], sku: str) -> int:
    level = levels.get(sku)
    return level.reserved if level is not None else 0


def _check_held(
    levels: Mapping[str, Level], reservation: Reservation, *, on_hand: bool = False
) -> None:
    # A held reservation's units are inside its levels' reserved; anything else is corruption.
    for line in reservation.lines:
        level = levels.get(line.sku)
        if level is None or level.reserved < line.qty or (on_hand and level.on_hand < line.qty):
            raise StockError(
                f"{reservation.request_id} holds {line.qty} of {line.sku} but the level "
                f"does not: {level}"
            )
