"""The order aggregate: each method checks a transition, then applies it and logs it.

A method either raises (``IllegalTransition``; ``ValueError`` for a naive datetime) and
changes nothing, or changes the order and appends one ``TimelineEntry``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NoReturn

from services.orders.domain.checks import answer_refusal, offer_refusal, return_refusal
from services.orders.domain.status import ACTIONS, Fulfilment, OrderStatus, why_not
from services.orders.domain.values import IllegalTransition, Offer, OrderLine, TimelineEntry, utc

__all__ = ["IllegalTransition", "Offer", "Order", "OrderLine", "TimelineEntry", "utc"]

S = OrderStatus


@dataclass
class Order:
    """An online order on its way from the shop to a dealer and the customer."""

    id: str
    fulfilment: Fulfilment
    lines: tuple[OrderLine, ...]
    status: OrderStatus = S.RECEIVED
    fulfilling_dealer_id: str | None = None
    originating_dealer_id: str | None = None
    attempts: int = 0
    current_offer: Offer | None = None
    tried: list[str] = field(default_factory=list)
    returned: dict[str, int] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Loaded from storage, status and fulfilment may come as plain strings.
        self.status, self.fulfilment = OrderStatus(self.status), Fulfilment(self.fulfilment)
        skus = [line.sku for line in self.lines]
        if not skus or len(set(skus)) != len(skus) or any(ln.qty <= 0 for ln in self.lines):
            raise ValueError("an order has one or more lines, one per SKU, each qty > 0")

    @classmethod
    def receive(
        cls,
        order_id: str,
        fulfilment: Fulfilment,
        lines: Sequence[OrderLine],
        at: datetime,
        actor: str,
        originating_dealer_id: str | None = None,
        **detail: Any,
    ) -> Order:
        """A new order in status ``received``, its timeline opened with ``detail``."""
        order = cls(
            order_id,
            Fulfilment(fulfilment),
            tuple(lines),
            originating_dealer_id=originating_dealer_id,
        )
        order._log("received", utc(at), actor, **detail)
        return order

    # -- queries ------------------------------------------------------------------------

    @property
    def waiting_for_hq(self) -> bool:
        """True while no dealer could take the order and it waits for HQ."""
        return self.status is S.WAITING_FOR_HQ

    def allowed_actions(self) -> list[str]:
        """The actions the status allows now (their arguments are checked when called)."""
        return [action for action in ACTIONS if self._why_not(action) is None]

    def returnable(self) -> dict[str, int]:
        """Per SKU, how many units can still be returned."""
        return {ln.sku: ln.qty - self.returned.get(ln.sku, 0) for ln in self.lines}

    # -- offers -------------------------------------------------------------------------

    def offer(
        self, dealer_id: str, offer_id: str, deadline: datetime, at: datetime, actor: str
    ) -> None:
        """Offer the order to one dealer until ``deadline`` (received → offered)."""
        self._open_offer("offer", (dealer_id,), offer_id, deadline, at, actor, grab=False)

    def broadcast(
        self,
        dealer_ids: Sequence[str],
        offer_id: str,
        deadline: datetime,
        at: datetime,
        actor: str,
    ) -> None:
        """Offer the order to several dealers at once; the first to take it wins (grab)."""
        self._open_offer("broadcast", tuple(dealer_ids), offer_id, deadline, at, actor, grab=True)

    def accept(self, dealer_id: str, offer_id: str, at: datetime, actor: str) -> None:
        """The offered dealer accepts the current offer (offered → accepted)."""
        self._assign("accept", "accepted", dealer_id, offer_id, at, actor)

    def taken(self, dealer_id: str, offer_id: str, at: datetime, actor: str) -> None:
        """The first dealer of a grab offer takes the order (offered → accepted)."""
        self._assign("taken", "taken", dealer_id, offer_id, at, actor)

    def decline(
        self, dealer_id: str, offer_id: str, at: datetime, actor: str, reason: str = ""
    ) -> None:
        """An offered dealer declines; with nobody left on the offer the order is received."""
        at = self._check("decline", at)
        offer = self._live_offer("decline", offer_id, dealer_id)
        declined = offer.declined | {dealer_id}
        left = [d for d in offer.dealer_ids if d not in declined]
        if left:
            self.current_offer = replace(offer, declined=declined)
        else:
            self.status, self.current_offer = S.RECEIVED, None
        self._log(
            "declined",
            at,
            actor,
            dealer_id=dealer_id,
            offer_id=offer_id,
            reason=reason,
            remaining=len(left),
        )

    def expire(self, offer_id: str, at: datetime, actor: str) -> None:
        """The current offer's deadline passed unanswered (offered → received)."""
        at = self._check("expire", at)
        offer = self._live_offer("expire", offer_id)
        if at < offer.deadline:
            self._refuse("expire", f"the offer runs until {offer.deadline.isoformat()}")
        self.status, self.current_offer = S.RECEIVED, None
        self._log("expired", at, actor, offer_id=offer_id, dealer_ids=list(offer.waiting_on))

    # Names the service layer may prefer: a declined or expired offer returns the order.
    offer_declined = decline
    offer_expired = expire

    def wait_for_hq(self, at: datetime, actor: str, reason: str = "no_dealer") -> None:
        """No dealer can take the order now (received → waiting_for_hq); HQ is told."""
        at = self._check("wait_for_hq", at)
        self.status = S.WAITING_FOR_HQ
        self._log("waiting_for_hq", at, actor, reason=reason)

    # -- handover -----------------------------------------------------------------------

    def ready_for_pickup(self, dealer_id: str, at: datetime, actor: str) -> None:
        """The fulfilling dealer has a pickup order ready (accepted → ready_for_pickup)."""
        self._advance("ready_for_pickup", S.READY_FOR_PICKUP, dealer_id, at, actor)

    def out_for_delivery(self, dealer_id: str, at: datetime, actor: str) -> None:
        """The fulfilling dealer sends a delivery order out (accepted → out_for_delivery)."""
        self._advance("out_for_delivery", S.OUT_FOR_DELIVERY, dealer_id, at, actor)

    def complete(self, dealer_id: str, at: datetime, actor: str) -> None:
        """Handover: pickup after a correct code, delivery on the dealer's confirmation."""
        self._advance("complete", S.COMPLETED, dealer_id, at, actor)

    def pick_up(self, dealer_id: str, at: datetime, actor: str) -> None:
        """The customer collects a pickup order, having shown the right code.

        A customer at the counter with the goods in hand means the order was ready, even if
        nobody pressed Ready: from ``accepted`` that step is logged first (``implied``),
        then the handover; both or neither happen.
        """
        if self.fulfilment != Fulfilment.PICKUP:
            self._refuse("complete", "a delivery order is not picked up; confirm the delivery")
        if self.status == S.ACCEPTED:
            # Whatever refuses ``complete`` from ready_for_pickup refuses this step too
            # (the dealer), so the order never stops half-way.
            self._advance("ready_for_pickup", S.READY_FOR_PICKUP, dealer_id, at, actor,
                          implied=True)  # fmt: skip
        self._advance("complete", S.COMPLETED, dealer_id, at, actor)

    # -- endings ------------------------------------------------------------------------

    def cancel(self, reason: str, at: datetime, actor: str) -> None:
        """Cancel before handover; the detail names the dealers whose offer or stock to free."""
        at = self._check("cancel", at)
        if not reason.strip():
            self._refuse("cancel", "give a reason")
        was, holders = self.status, self._holders()
        self.status, self.current_offer = S.CANCELLED, None
        self._log("cancelled", at, actor, reason=reason, was=str(was), dealer_ids=holders)

    def return_lines(self, lines: Mapping[str, int], at: datetime, actor: str) -> None:
        """Record returned units; once every unit is back the order is ``returned``."""
        at = self._check("return_lines", at)
        why = return_refusal(self.returnable(), lines)
        if why is not None:
            self._refuse("return_lines", why)
        for sku, qty in lines.items():
            self.returned[sku] = self.returned.get(sku, 0) + qty
        everything = not any(self.returnable().values())
        if everything:
            self.status = S.RETURNED
        step = "returned" if everything else "partially_returned"
        self._log(step, at, actor, lines=dict(lines), returned=dict(self.returned))

    def reject(self, reasons: Sequence[str], at: datetime, actor: str) -> None:
        """Refuse the order at intake for breaking a rule (received → rejected)."""
        at = self._check("reject", at)
        if not reasons:
            self._refuse("reject", "give at least one reason")
        self.status = S.REJECTED
        self._log("rejected", at, actor, reasons=list(reasons))

    # -- helpers ------------------------------------------------------------------------

    def _why_not(self, action: str) -> str | None:
        grab = self.current_offer is not None and self.current_offer.grab
        return why_not(
            action, self.status, self.fulfilment, grab_offer=grab, attempts=self.attempts
        )

    def _check(self, action: str, at: datetime) -> datetime:
        at = utc(at)
        why = self._why_not(action)
        if why is not None:
            self._refuse(action, why)
        return at

    def _refuse(self, action: str, why: str) -> NoReturn:
        raise IllegalTransition(self.status, action, why)

    def _log(self, step: str, at: datetime, actor: str, **detail: Any) -> None:
        self.timeline.append(TimelineEntry(at, step, actor, detail))

    def _holders(self) -> list[str]:
        if self.current_offer is not None:
            return list(self.current_offer.waiting_on)
        return [self.fulfilling_dealer_id] if self.fulfilling_dealer_id else []

    def _open_offer(
        self,
        action: str,
        dealer_ids: tuple[str, ...],
        offer_id: str,
        deadline: datetime,
        at: datetime,
        actor: str,
        *,
        grab: bool,
    ) -> None:
        at, deadline = self._check(action, at), utc(deadline)
        why = offer_refusal(dealer_ids, deadline, at)
        if why is not None:
            self._refuse(action, why)
        self.status = S.OFFERED
        self.current_offer = Offer(offer_id, dealer_ids, deadline, grab=grab)
        self.attempts += 1
        self.tried.extend(d for d in dealer_ids if d not in self.tried)
        self._log(
            "offered",
            at,
            actor,
            offer_id=offer_id,
            dealer_ids=list(dealer_ids),
            deadline=deadline.isoformat(),
            mode="grab" if grab else "sequential",
            attempt=self.attempts,
        )

    def _live_offer(self, action: str, offer_id: str, dealer_id: str | None = None) -> Offer:
        offer = self.current_offer
        why = answer_refusal(offer, offer_id, dealer_id)
        if why is not None:
            self._refuse(action, why)
        assert offer is not None  # answer_refusal refuses when there is no offer
        return offer

    def _assign(
        self, action: str, step: str, dealer_id: str, offer_id: str, at: datetime, actor: str
    ) -> None:
        at = self._check(action, at)
        offer = self._live_offer(action, offer_id, dealer_id)
        if at > offer.deadline:
            self._refuse(action, f"the offer expired at {offer.deadline.isoformat()}")
        self.status, self.current_offer, self.fulfilling_dealer_id = S.ACCEPTED, None, dealer_id
        self._log(step, at, actor, dealer_id=dealer_id, offer_id=offer_id)

    def _advance(
        self, action: str, to: OrderStatus, dealer_id: str, at: datetime, actor: str,
        **extra: Any,
    ) -> None:  # fmt: skip
        at = self._check(action, at)
        if dealer_id != self.fulfilling_dealer_id:
            self._refuse(action, f"dealer {dealer_id} does not fulfil this order")
        was, self.status = self.status, to
        detail: dict[str, Any] = {"dealer_id": dealer_id, "was": str(was), **extra}
        if to == S.COMPLETED:
            pickup = self.fulfilment == Fulfilment.PICKUP
            detail["proof"] = "pickup_code" if pickup else "delivery_confirmed"
        self._log(str(to), at, actor, **detail)
