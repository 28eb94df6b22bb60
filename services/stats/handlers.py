"""The statistics group's handler table: order events in, counts added.

Every handler turns its messages into deltas (``counts.add``, pure) and adds them in the
consumer's transaction (``store.apply``); a batch of events is added in one statement a
table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from functools import partial
from typing import Any

from services.stats.counts import Deltas, add
from services.stats.store import apply
from shared.bus.handling import BatchHandler, Context, Handler
from shared.messages import Message
from shared.messages.orders import HandoverAnswered, OfferClosed, OrderOffered, OrderStatusChanged

COUNTED: tuple[type[Message], ...] = (
    OrderStatusChanged, OrderOffered, OfferClosed, HandoverAnswered,
)  # fmt: skip


async def count_one(message: Any, ctx: Context, *, zone: tzinfo) -> None:
    """Add one event to the statistics."""
    deltas = Deltas()
    add(deltas, message, ctx.envelope.time, zone)
    await apply(ctx.uow, deltas)


async def count_run(run: Sequence[tuple[Any, Context]], *, zone: tzinfo) -> None:
    """Add a run of events of one type to the statistics, together."""
    deltas = Deltas()
    for message, ctx in run:
        add(deltas, message, ctx.envelope.time, zone)
    await apply(run[0][1].uow, deltas)


def stats_handlers(zone: tzinfo) -> dict[type[Message], Handler]:
    """The handler table of the ``stats`` group, days counted in ``zone``."""
    return dict.fromkeys(COUNTED, partial(count_one, zone=zone))


def stats_batch_handlers(zone: tzinfo) -> dict[type[Message], BatchHandler]:
    """The same, for runs of one type in a batch."""
    return dict.fromkeys(COUNTED, partial(count_run, zone=zone))
