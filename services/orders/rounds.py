"""Offer rounds in the ``offers`` table: their ids and timers, their rows, and ending an offer.

Each routing attempt of an order is a round: one offer row per dealer (one in sequential
mode, several in grab mode), all with the round's attempt number and deadline.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from services.catalog import public as catalog
from services.orders.domain.offer_state import OfferState
from services.orders.models import OfferRow
from services.orders.repository import Loaded, save_offer
from shared.db.uow import UnitOfWork
from shared.messages.orders import OfferClosed, OfferLine
from shared.messages.stock import ReleaseReservation


def round_id(order_id: str, attempt: int) -> str:
    """The id of one offer round of an order (one dealer, or several in grab mode)."""
    return f"{order_id}:{attempt}"


def attempt_of(round_id_: str) -> int:
    """The attempt number of a round, from the id ``round_id`` made."""
    return int(round_id_.rsplit(":", 1)[1])


def timer_key(order_id: str, attempt: int) -> str:
    """The durable timer of an offer round's deadline."""
    return f"orders:offer:{order_id}:{attempt}"


_ROUND_OFFERS = (
    select(OfferRow)
    .where(
        col(OfferRow.order_id) == bindparam("order_id"),
        col(OfferRow.attempt) == bindparam("attempt"),
    )
    .with_for_update()
)


_ASKED = aliased(OfferRow)
_ROUNDS_OF_REQUESTS = (
    select(OfferRow)
    .join(
        _ASKED,
        (col(_ASKED.order_id) == col(OfferRow.order_id))
        & (col(_ASKED.attempt) == col(OfferRow.attempt)),
    )
    .where(col(_ASKED.request_id).in_(bindparam("request_ids", expanding=True)))
    .order_by(col(OfferRow.id))  # locked in one order, so two batches cannot wait in a circle
    .with_for_update()
)


async def rounds_of_requests(
    uow: UnitOfWork, request_ids: Sequence[str]
) -> dict[str, tuple[OfferRow, list[OfferRow]]]:
    """For each stock reservation asked for, the offer that asked and every offer of its
    round (itself included), all row-locked, in one query; a request no offer made is
    left out."""
    found = await uow.session.exec(_ROUNDS_OF_REQUESTS, params={"request_ids": list(request_ids)})
    rounds: dict[tuple[str, int], dict[str, OfferRow]] = {}
    for offer in found.all():  # an offer comes once for each of its round's requests
        rounds.setdefault((offer.order_id, offer.attempt), {})[offer.id] = offer
    wanted, asked = set(request_ids), {}
    for offers in rounds.values():
        for offer in offers.values():
            if offer.request_id in wanted:
                asked[offer.request_id] = (offer, list(offers.values()))
    return asked


async def round_offers(uow: UnitOfWork, order_id: str, attempt: int) -> list[OfferRow]:
    """Every dealer's offer of one round, row-locked."""
    params = {"order_id": order_id, "attempt": attempt}
    return list((await uow.session.exec(_ROUND_OFFERS, params=params)).all())


async def close(
    uow: UnitOfWork, offer: OfferRow, outcome: OfferState, *, release: bool = True, **more: object
) -> None:
    """End one dealer's offer: record it (with ``more`` columns), free its stock, tell the chat."""
    await save_offer(uow, offer, state=outcome, answered_at=uow.clock.now(), **more)
    if release:
        # Not "expired": the stock service keeps that word for its own safety-net timer.
        uow.emit(ReleaseReservation(request_id=offer.request_id, reason=f"offer_{outcome}"))
    uow.emit(closed(offer, outcome))


def closed(offer: OfferRow, outcome: OfferState) -> OfferClosed:
    """The event that tells the dealer's chat how their offer ended."""
    return OfferClosed(
        order_id=offer.order_id, offer_id=offer.id, dealer_id=offer.dealer_id,
        outcome=outcome, offered_at=offer.offered_at,
        reason=offer.decline_reason if outcome == "declined" else None,
    )  # fmt: skip


async def offer_lines(uow: UnitOfWork, loaded: Loaded) -> list[OfferLine]:
    """The order's lines with their products' names, as the dealer's chat shows them."""
    skus = [ln.sku for ln in loaded.order.lines]
    names = loaded.intake.product_names  # kept at intake; orders taken before, from the catalog
    if not set(skus) <= names.keys():
        names = {sku: p.name for sku, p in (await catalog.products(uow.session, skus)).items()}
    return [
        OfferLine(sku=ln.sku, name=names.get(ln.sku, ln.sku), qty=ln.qty)
        for ln in loaded.order.lines
    ]
