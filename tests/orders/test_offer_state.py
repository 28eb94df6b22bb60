"""An offer's state is stored as the strings it always was, and read back as an OfferState."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError
from sqlmodel import select

from services.orders.domain.offer_state import ANSWERED, HOLDING, OPEN, OfferState
from services.orders.models import OfferRow
from shared.clock import FakeClock
from shared.db.engine import Database
from shared.db.uow import unit_of_work

STORED = ["reserving", "reserved", "unavailable", "offered", "accepted", "declined", "expired",
          "taken", "cancelled"]  # fmt: skip


def test_the_states_are_the_stored_strings_and_the_groups_name_states() -> None:
    assert [state.value for state in OfferState] == STORED
    assert set(OPEN) | set(ANSWERED) | set(HOLDING) <= set(OfferState)


async def test_the_column_stores_the_value_and_reads_an_offer_state(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with unit_of_work(db, clock) as uow:
        for n, state in enumerate(OfferState):
            uow.session.add(
                OfferRow(
                    id=f"of_{n}", order_id="o_1", dealer_id="d1", attempt=n + 1, state=state,
                    request_id=f"rq_{n}", distance_km=1.0, deadline=now + timedelta(minutes=10),
                    created_at=now,
                )
            )  # fmt: skip
        # A row written as a plain string, as rows stored before the enum were.
        uow.session.add(
            OfferRow(
                id="of_old", order_id="o_1", dealer_id="d1", attempt=99, state="declined",
                request_id="rq_old", distance_km=1.0, deadline=now, created_at=now,
            )
        )  # fmt: skip
    async with db.read() as session:
        connection = await session.connection()
        raw: dict[str, str] = dict(
            (await connection.execute(text("SELECT id, state FROM offers"))).all()
        )
        rows = {row.id: row for row in (await session.exec(select(OfferRow))).all()}
    assert raw == {f"of_{n}": value for n, value in enumerate(STORED)} | {"of_old": "declined"}
    assert all(type(row.state) is OfferState for row in rows.values())
    assert rows["of_old"].state is OfferState.DECLINED


async def test_a_state_that_is_not_an_offer_state_is_refused(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    with pytest.raises(StatementError, match="is not a valid OfferState"):
        async with unit_of_work(db, clock) as uow:
            uow.session.add(
                OfferRow(
                    id="of_x", order_id="o_1", dealer_id="d1", attempt=1, state="maybe",
                    request_id="rq_x", distance_km=1.0, deadline=now, created_at=now,
                )
            )  # fmt: skip
