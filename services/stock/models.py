"""The stock service's tables, and the queries that load and save them as core objects.

Rows are locked in one order, levels by (dealer, SKU) and then reservations by request id,
so two replicas on PostgreSQL never wait on each other in a circle: a single message
touches one dealer and locks its levels by SKU; a consumer batch, which may touch many
dealers, first locks all of its levels in (dealer, SKU) order (``lock_keys``).
Every locked read refreshes the objects the session already holds (``populate_existing``):
a consumer batch runs several handlers in one session, and another replica may have
changed a row since this session first read it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import (
    CheckConstraint,
    Column,
    ColumnElement,
    Index,
    Table,
    bindparam,
    insert,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.stock import core
from shared.db.rows import update_rows
from shared.db.types import UTCDateTime

K = TypeVar("K", bound=Hashable)  # a level's key: its SKU, or (dealer, SKU)


class StockLevel(SQLModel, table=True):
    """On hand and reserved for one SKU at one dealer."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="ck_stock_levels_on_hand"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="ck_stock_levels_reserved"),
    )

    dealer_id: str = Field(primary_key=True, max_length=64)
    sku: str = Field(primary_key=True, max_length=64)
    on_hand: int = 0
    reserved: int = 0
    # Bumped on every change; the Redis view keeps only the newest version it was sent.
    version: int = 0
    reported_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class StockReservation(SQLModel, table=True):
    """Units held at a dealer for an order, named by the requester's ``request_id``."""

    __tablename__ = "stock_reservations"
    __table_args__ = (Index("ix_stock_reservations_dealer_state", "dealer_id", "state"),)

    request_id: str = Field(primary_key=True, max_length=128)
    order_id: str = Field(max_length=128)
    dealer_id: str = Field(max_length=64)
    state: str = Field(max_length=16)
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    reason: str | None = Field(default=None, max_length=64)


class StockReservationLine(SQLModel, table=True):
    """One SKU of a reservation; ``short`` marks the SKUs a refused request lacked."""

    __tablename__ = "stock_reservation_lines"

    request_id: str = Field(
        primary_key=True, max_length=128, foreign_key="stock_reservations.request_id"
    )
    sku: str = Field(primary_key=True, max_length=64)
    qty: int
    short: bool = False


class StockRestock(SQLModel, table=True):
    """A Restock applied once: a repeat with the same ``request_id`` finds it and stops."""

    __tablename__ = "stock_restocks"

    request_id: str = Field(primary_key=True, max_length=128)
    order_id: str = Field(max_length=128)
    dealer_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


async def lock_levels(
    session: AsyncSession,
    dealer_id: str,
    skus: Iterable[str],
    *,
    create: Iterable[str] = (),
    now: datetime | None = None,
) -> dict[str, StockLevel]:
    """Lock a dealer's levels of ``skus`` in SKU order, first creating any of ``create`` missing."""
    wanted = sorted(set(skus) | set(create))
    rows = await _select_levels(session, dealer_id, wanted)
    missing = sorted(set(create) - rows.keys())
    if missing:
        if now is None:
            raise ValueError("creating levels needs the time")
        await _insert_missing(session, [(dealer_id, sku) for sku in missing], now)
        rows.update(await _select_levels(session, dealer_id, missing))
    return rows


async def lock_keys(
    session: AsyncSession,
    keys: Iterable[tuple[str, str]],
    *,
    create: Iterable[tuple[str, str]] = (),
    now: datetime,
) -> None:
    """Lock the levels ``keys`` ((dealer, SKU) pairs) in that order, creating ``create`` first."""
    missing = sorted(set(create))
    if missing:
        await _insert_missing(session, missing, now)
    wanted = sorted(set(keys) | set(missing))
    if not wanted:
        return
    key = tuple_(col(StockLevel.dealer_id), col(StockLevel.sku))
    query = (
        select(col(StockLevel.dealer_id))
        .where(key.in_(wanted))
        .order_by(col(StockLevel.dealer_id), col(StockLevel.sku))
        .with_for_update()
    )
    await session.exec(query)


async def lock_level_rows(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], StockLevel]:
    """Lock the levels ``keys`` ((dealer, SKU) pairs) in that order; their rows by key."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    found = await session.exec(_LEVELS_BY_KEY, params={"keys": wanted})
    return {(row.dealer_id, row.sku): row for row in found.all()}


_LEVELS_BY_KEY = (
    select(StockLevel)
    .where(
        tuple_(col(StockLevel.dealer_id), col(StockLevel.sku)).in_(
            bindparam("keys", expanding=True)
        )
    )
    .order_by(col(StockLevel.dealer_id), col(StockLevel.sku))
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def reservation_keys(
    session: AsyncSession, request_ids: Iterable[str]
) -> set[tuple[str, str]]:
    """The (dealer, SKU) levels that the reservations ``request_ids`` hold units of."""
    ids = sorted(set(request_ids))
    if not ids:
        return set()
    query = (
        select(StockReservation.dealer_id, StockReservationLine.sku)
        .join(
            StockReservationLine,
            col(StockReservationLine.request_id) == col(StockReservation.request_id),
        )
        .where(col(StockReservation.request_id).in_(ids))
    )
    return {(dealer, sku) for dealer, sku in (await session.exec(query)).all()}


_LEVELS_OF = (
    select(StockLevel)
    .where(
        col(StockLevel.dealer_id) == bindparam("dealer_id"),
        col(StockLevel.sku).in_(bindparam("skus", expanding=True)),
    )
    .order_by(col(StockLevel.sku))
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def _select_levels(
    session: AsyncSession, dealer_id: str, skus: list[str]
) -> dict[str, StockLevel]:
    if not skus:
        return {}
    params = {"dealer_id": dealer_id, "skus": skus}
    return {row.sku: row for row in (await session.exec(_LEVELS_OF, params=params)).all()}


async def _insert_missing(
    session: AsyncSession, keys: list[tuple[str, str]], now: datetime
) -> None:
    # ON CONFLICT DO NOTHING: two first reports of a SKU at once must not fail on the key.
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = StockLevel.__table__  # type: ignore[attr-defined]
    rows = [
        {"dealer_id": dealer_id, "sku": sku, "on_hand": 0, "reserved": 0, "version": 0,
         "updated_at": now}
        for dealer_id, sku in keys
    ]  # fmt: skip
    await connection.execute(insert(table).values(rows).on_conflict_do_nothing())


def levels_of(rows: Mapping[K, StockLevel]) -> dict[K, core.Level]:
    """Core levels for locked rows (keyed by SKU, or by (dealer, SKU))."""
    return {
        key: core.Level(row.on_hand, row.reserved, row.reported_at) for key, row in rows.items()
    }


async def save_levels(
    session: AsyncSession,
    rows: Mapping[K, StockLevel],
    levels: Mapping[K, core.Level],
    now: datetime,
) -> list[StockLevel]:
    """Write changed core levels, bumping each one's version; returns their rows.

    One Core UPDATE for them all, the locked rows kept in step (``shared.db.rows``).
    """
    changes = []
    for key, level in levels.items():
        row = rows[key]
        new = (level.on_hand, level.reserved, level.reported_at)
        if (row.on_hand, row.reserved, row.reported_at) == new:
            continue
        values = {
            "on_hand": level.on_hand, "reserved": level.reserved,
            "reported_at": level.reported_at, "version": row.version + 1, "updated_at": now,
        }  # fmt: skip
        changes.append((row, values))
    await update_rows(session, _LEVELS, ("dealer_id", "sku"), changes)
    return [row for row, _ in changes]


_LEVELS: Table = StockLevel.__table__  # type: ignore[attr-defined]


async def find_reservation(
    session: AsyncSession, request_id: str, *, lock: bool = False
) -> core.Reservation | None:
    """The reservation ``request_id`` with its lines, or None."""
    query = _RESERVATION_LOCKED if lock else _RESERVATION
    row = (await session.exec(query, params={"request_id": request_id})).first()
    if row is None:
        return None
    lines = await session.exec(_LINES_OF, params={"ids": [request_id]})
    return _to_core(row, list(lines.all()))


_RESERVATION = (
    select(StockReservation)
    .where(col(StockReservation.request_id) == bindparam("request_id"))
    .execution_options(populate_existing=True)
)
_RESERVATION_LOCKED = _RESERVATION.with_for_update()
_LINES_OF = select(StockReservationLine).where(
    col(StockReservationLine.request_id).in_(bindparam("ids", expanding=True))
)


async def find_reservations(
    session: AsyncSession, request_ids: Iterable[str]
) -> dict[str, core.Reservation]:
    """The reservations of ``request_ids`` that exist, with their lines, by request id."""
    ids = sorted(set(request_ids))
    if not ids:
        return {}
    found = await _reservations(session, [col(StockReservation.request_id).in_(ids)], False)
    return {r.request_id: r for r in found}


async def held_touching(
    session: AsyncSession, dealer_id: str, skus: Iterable[str], *, lock: bool = False
) -> list[core.Reservation]:
    """The dealer's held reservations with a line on any of ``skus``."""
    touching = (
        select(StockReservationLine.request_id)
        .where(col(StockReservationLine.sku).in_(sorted(set(skus))))
        .scalar_subquery()
    )
    return await _reservations(
        session,
        [
            col(StockReservation.dealer_id) == dealer_id,
            col(StockReservation.state) == core.State.HELD,
            col(StockReservation.request_id).in_(touching),
        ],
        lock,
    )


async def _reservations(
    session: AsyncSession, where: list[ColumnElement[bool]], lock: bool
) -> list[core.Reservation]:
    query = select(StockReservation).where(*where).order_by(col(StockReservation.request_id))
    if lock:
        query = query.with_for_update()
    rows = (await session.exec(query.execution_options(populate_existing=True))).all()
    if not rows:
        return []
    lines: dict[str, list[StockReservationLine]] = {row.request_id: [] for row in rows}
    for line in (await session.exec(_LINES_OF, params={"ids": list(lines)})).all():
        lines[line.request_id].append(line)
    return [_to_core(row, lines[row.request_id]) for row in rows]


def _to_core(row: StockReservation, lines: list[StockReservationLine]) -> core.Reservation:
    ordered = sorted(lines, key=lambda line: line.sku)
    return core.Reservation(
        request_id=row.request_id,
        order_id=row.order_id,
        dealer_id=row.dealer_id,
        lines=tuple(core.Line(line.sku, line.qty) for line in ordered),
        state=core.State(row.state),
        created_at=row.created_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
        reason=row.reason,
        short=tuple(line.sku for line in ordered if line.short),
    )


async def add_reservation(session: AsyncSession, r: core.Reservation) -> None:
    """Insert a new reservation and its lines (Core: nothing is left for the session to flush)."""
    await add_reservations(session, [r])


async def add_reservations(session: AsyncSession, made: Sequence[core.Reservation]) -> None:
    """Insert new reservations and their lines: one statement for each table."""
    if not made:
        return
    connection = await session.connection()
    await connection.execute(
        _INSERT_RESERVATION,
        [
            {"request_id": r.request_id, "order_id": r.order_id, "dealer_id": r.dealer_id,
             "state": r.state.value, "expires_at": r.expires_at, "created_at": r.created_at,
             "ended_at": r.ended_at, "reason": r.reason}
            for r in made
        ],
    )  # fmt: skip
    await connection.execute(
        _INSERT_LINE,
        [
            {"request_id": r.request_id, "sku": line.sku, "qty": line.qty,
             "short": line.sku in r.short}
            for r in made
            for line in r.lines
        ],
    )  # fmt: skip


_INSERT_RESERVATION = insert(StockReservation.__table__)  # type: ignore[attr-defined]
_INSERT_LINE = insert(StockReservationLine.__table__)  # type: ignore[attr-defined]


async def save_reservation(session: AsyncSession, r: core.Reservation) -> None:
    """Write a reservation's new state, expiry, end and reason."""
    row = await session.get(StockReservation, r.request_id)
    if row is None:
        raise core.StockError(f"reservation {r.request_id} vanished")
    row.state, row.expires_at = r.state, r.expires_at
    row.ended_at, row.reason = r.ended_at, r.reason
    session.add(row)
